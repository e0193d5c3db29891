//! The operator's command line. An error is one sentence on stderr (`credgov: …`) and
//! an exit code saying what kind of failure it was (README, "Command line").

mod audit;
mod calendar;
mod demo;
mod handover;
mod import;
mod init;
mod jobs;
mod key_split;
mod keys;
mod ops;
mod publications;
mod report;
mod scan;
mod users;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::error::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "credgov",
    version,
    about = "Custody, rotation and handover of a district's account passwords"
)]
pub struct Cli {
    /// Configuration file (TOML). Also CREDGOV_CONFIG.
    #[arg(long, global = true, env = "CREDGOV_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP service (migrates first; initialises an empty database).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Fill an empty database with a sample district (units, people, accounts and
        /// their history) and print the demo users' passwords; refused on a database
        /// that holds data.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent backup of the database while it serves (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump -Fc). The master key is never in it.
    Backup {
        /// The backup file to write (must not exist; mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a restored database: migrations, every audit chain, and that every sealed
    /// value opens with the configured master key. Exit 0 with counts, 1 naming the
    /// first failure.
    RestoreCheck {
        /// The restored database (sqlite://FILE or postgres://…).
        #[arg(long)]
        database_url: String,
    },
    /// Create the root unit (the district) and the first sysadmin. Runs once.
    Init {
        /// Username of the first sysadmin.
        #[arg(long)]
        admin: String,
        /// Name of the root unit.
        #[arg(long, default_value = "区人民政府")]
        district: String,
        /// Read the admin password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Audit trail commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Bulk import.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Staff changes and handover cases.
    Handover {
        #[command(subcommand)]
        command: HandoverCommand,
    },
    /// Master key operations.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Run the daily inspection (每日巡检) once now and print the counts.
    Scan {
        /// Print the counts as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// User accounts of credgov itself.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Holiday calendars (State Council notices) that working-day deadlines count with.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Reports for supervisors.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The circular (通报): the unit's direct children ranked (findings per rule,
    /// 整改完成率 of the period, score, rank, veto) and the open findings, as XLSX, CSV
    /// or a printable HTML page.
    Circular {
        /// The unit (id) whose direct children are ranked.
        #[arg(long)]
        under: String,
        /// First day of the period, YYYY-MM-DD (China date).
        #[arg(long)]
        from: String,
        /// Last day of the period, YYYY-MM-DD (at most 366 days after --from).
        #[arg(long)]
        to: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// xlsx | csv | html (default: the extension of --out).
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Import a year's holidays and adjusted working days (holiday-cn JSON: `year`,
    /// `days[]` of `{name, date, isOffDay}`); replaces that year's calendar.
    Import {
        /// The JSON file, e.g. 2027.json.
        file: PathBuf,
    },
    /// List the years known, where each comes from (embedded/imported) and its days.
    List,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Each job's schedule, last run (outcome, duration, counts) and next run.
    List,
    /// Run a job now, in this process (refused while it runs on a server).
    Run {
        /// The job's name (see `jobs list`).
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Give a user a one-time password (printed once), clear their lock and end their
    /// sessions; they must change it at the next login. For a locked-out sole admin.
    ResetPassword {
        /// The user's login name.
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import managed accounts from CSV (UTF-8, GBK/GB18030) or XLSX. Every row is
    /// checked first; any bad row stops the import with all problems listed.
    Accounts {
        /// Unit the accounts belong to.
        #[arg(long)]
        unit: String,
        /// The .csv or .xlsx file.
        file: PathBuf,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a publication log of website and new-media accounts from CSV (columns:
    /// account name or id, published_at, title, url). Every row is checked first; any
    /// bad row stops the import with all problems listed.
    Publications {
        /// Unit the accounts belong to.
        #[arg(long)]
        unit: String,
        /// The .csv file.
        file: PathBuf,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum HandoverCommand {
    /// Report a staff change (as HR would over the API) and open its handover case.
    Open {
        /// departure | transfer | role_change | leave
        #[arg(long = "type", value_parser = ["departure", "transfer", "role_change", "leave"])]
        event_type: String,
        /// The person leaving or moving.
        #[arg(long)]
        username: String,
        /// The unit (id) the change concerns.
        #[arg(long)]
        unit: String,
        /// Who takes over (must hold a role in the unit).
        #[arg(long)]
        successor: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Makes a retried command safe; defaults to a key derived from the arguments.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Re-wrap every data key under a new master key (resumable), then use the new key.
    Rotate {
        /// File with the new master key (32 raw bytes or 64 hex characters).
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Split the master key file into shares for officers (Shamir): any `threshold`
    /// of them rebuild it with `keys join`; fewer reveal nothing.
    Split {
        /// How many shares to write (share-1.txt … share-N.txt), at most 255.
        #[arg(long)]
        shares: usize,
        /// How many shares rebuild the key (at least 2).
        #[arg(long)]
        threshold: usize,
        /// A new or empty folder for the share files (created with mode 0700).
        #[arg(long)]
        out_dir: PathBuf,
        /// The key file to split (default: the configured master key file).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Rebuild the master key file from enough shares, byte for byte.
    Join {
        /// Where to write the key file (must not exist; written with mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// The share files.
        #[arg(required = true)]
        share_files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify every unit's chain; exit 0 with a count, or 1 naming the first broken event.
    Verify {
        /// Also check the chains against a signed anchor taken earlier with `audit anchor`
        /// (catches truncated, deleted or wholly rewritten chains).
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Print a signed digest of every chain head (JSON) to keep outside the database.
    Anchor,
}

/// Entry point of the binary; returns the process exit code.
pub async fn run() -> i32 {
    let cli = Cli::parse();
    match execute(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("credgov: {e}");
            e.exit_code
        }
    }
}

/// Starting fails on configuration, keys or the database: a refusal (exit 1).
async fn start(config: Config) -> Result<AppState, CliError> {
    AppState::start(config, Arc::new(SystemClock))
        .await
        .map_err(|e| CliError::from(e.to_string()))
}

async fn execute(cli: Cli) -> Result<i32, CliError> {
    if let Command::Openapi = cli.command {
        print!("{}", crate::http::openapi_json());
        return Ok(0);
    }
    let (mut config, report) = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    if let Command::Serve {
        listen: Some(l), ..
    } = &cli.command
    {
        config.listen = *l;
    }
    crate::server::init_logging(&config);
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    match cli.command {
        Command::Openapi => Ok(0),
        Command::Migrate => {
            let state = start(config).await?;
            state.db.close().await;
            println!("migrations applied");
            Ok(0)
        }
        Command::Init {
            admin,
            district,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut s = Zeroizing::new(String::new());
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("reading the password from stdin: {e}"))?;
                let trimmed = Zeroizing::new(s.trim_end_matches(['\n', '\r']).to_string());
                if trimmed.is_empty() {
                    return Err(CliError::from("the password read from stdin is empty"));
                }
                Some(trimmed)
            } else {
                None
            };
            let state = start(config).await?;
            init::init(&state, &district, &admin, password)
                .await
                .map_err(|e| e.message)?;
            Ok(0)
        }
        Command::Audit {
            command: AuditCommand::Verify { anchor },
        } => Ok(audit::verify(&start(config).await?, anchor.as_deref()).await?),
        Command::Audit {
            command: AuditCommand::Anchor,
        } => Ok(audit::anchor(&start(config).await?).await?),
        Command::Import {
            command:
                ImportCommand::Accounts {
                    unit,
                    file,
                    dry_run,
                },
        } => {
            let state = start(config).await?;
            import::run(&state, &unit, &file, dry_run).await?;
            Ok(0)
        }
        Command::Import {
            command:
                ImportCommand::Publications {
                    unit,
                    file,
                    dry_run,
                },
        } => {
            let state = start(config).await?;
            publications::run(&state, &unit, &file, dry_run).await?;
            Ok(0)
        }
        Command::Backup { out } => ops::backup(&config, &out).await,
        Command::RestoreCheck { database_url } => ops::restore_check(config, database_url).await,
        Command::Scan { json } => scan::run(&start(config).await?, json).await,
        Command::Keys {
            command: KeysCommand::Rotate { new_key_file },
        } => Ok(keys::rotate(config, &new_key_file).await?),
        Command::Keys {
            command:
                KeysCommand::Split {
                    shares,
                    threshold,
                    out_dir,
                    key_file,
                },
        } => {
            let key_file = key_file.unwrap_or_else(|| config.master_key_file.clone());
            Ok(key_split::split(&key_file, shares, threshold, &out_dir)?)
        }
        Command::Keys {
            command: KeysCommand::Join { out, share_files },
        } => Ok(key_split::join(&out, &share_files)?),
        Command::Users {
            command: UsersCommand::ResetPassword { username },
        } => {
            let state = start(config).await?;
            users::reset_password(&state, &username)
                .await
                .map_err(|e| e.message)?;
            Ok(0)
        }
        Command::Calendar {
            command: CalendarCommand::Import { file },
        } => {
            calendar::import(&start(config).await?, &file).await?;
            Ok(0)
        }
        Command::Calendar {
            command: CalendarCommand::List,
        } => {
            calendar::list(&start(config).await?).await?;
            Ok(0)
        }
        Command::Handover {
            command:
                HandoverCommand::Open {
                    event_type,
                    username,
                    unit,
                    successor,
                    note,
                    idempotency_key,
                },
        } => {
            let state = start(config).await?;
            let args = handover::OpenArgs {
                event_type,
                username,
                unit,
                successor,
                note,
                idempotency_key,
            };
            handover::open(&state, args).await?;
            Ok(0)
        }
        Command::Jobs { command } => {
            let state = start(config).await?;
            let done = match command {
                JobsCommand::List => jobs::list(&state).await,
                JobsCommand::Run { name } => jobs::run(&state, &name).await,
            };
            state.db.close().await;
            Ok(done.map_or_else(
                |e| {
                    eprintln!("credgov: {e}");
                    e.exit_code
                },
                |()| 0,
            ))
        }
        Command::Report {
            command:
                ReportCommand::Circular {
                    under,
                    from,
                    to,
                    out,
                    format,
                },
        } => {
            let state = start(config).await?;
            let args = report::CircularArgs {
                under: &under,
                from: &from,
                to: &to,
                out: &out,
                format: format.as_deref(),
            };
            let done = report::circular(&state, args).await;
            state.db.close().await;
            done.map(|()| 0)
        }
        Command::Serve { demo: true, .. } => demo::serve(config).await,
        Command::Serve { .. } => {
            let listen = config.listen;
            let state = start(config).await?;
            init::first_run(&state).await?;
            let listener = bind(listen).await?;
            run_server(state, listener).await
        }
    }
}

/// The listening socket (before anything is served).
async fn bind(listen: std::net::SocketAddr) -> Result<tokio::net::TcpListener, CliError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::from(format!("cannot listen on {listen}: {e}")))
}

/// Serves until a shutdown signal: the scheduler, the notification deliverer and HTTP.
async fn run_server(state: AppState, listener: tokio::net::TcpListener) -> Result<i32, CliError> {
    crate::server::serve_metrics(&state).await?;
    let ticker = crate::jobs::Ticker::start(state.clone())
        .await
        .map_err(|e| e.to_string())?;
    let deliverer = crate::notify::DelivererHandle::start(state.clone());
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    crate::server_memory::release_free_memory();
    tracing::info!(%addr, "credgov listening");
    eprintln!(
        "credgov is serving on http://{addr}  (API under /api/v1, OpenAPI at /api/v1/openapi.json)"
    );
    crate::server::serve(state, listener, crate::server::shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    deliverer.shutdown().await;
    ticker.shutdown().await;
    Ok(0)
}
