#[tokio::main]
async fn main() {
    let code = credgov::cli::run().await;
    std::process::exit(code);
}
