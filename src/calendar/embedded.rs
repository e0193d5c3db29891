//! The holiday calendars shipped in the binary (`data/holidays-cn/`, provenance and
//! licence beside the files): nothing is read from the network or a path at run time.
//! A new year's file added there must be listed here too (a test checks).

use super::year_file::YearFile;

/// `(file name, contents)` of every shipped year.
const FILES: &[(&str, &str)] = &[
    (
        "2021.json",
        include_str!("../../data/holidays-cn/2021.json"),
    ),
    (
        "2022.json",
        include_str!("../../data/holidays-cn/2022.json"),
    ),
    (
        "2023.json",
        include_str!("../../data/holidays-cn/2023.json"),
    ),
    (
        "2024.json",
        include_str!("../../data/holidays-cn/2024.json"),
    ),
    (
        "2025.json",
        include_str!("../../data/holidays-cn/2025.json"),
    ),
    (
        "2026.json",
        include_str!("../../data/holidays-cn/2026.json"),
    ),
    (
        "2027.json",
        include_str!("../../data/holidays-cn/2027.json"),
    ),
];

/// Every shipped year, parsed. A file that does not parse (impossible for the shipped
/// ones, which the tests read) is left out with an error in the log.
pub fn embedded_years() -> Vec<YearFile> {
    FILES
        .iter()
        .filter_map(|(name, text)| match YearFile::parse(text) {
            Ok(y) => Some(y),
            Err(e) => {
                tracing::error!(file = name, error = %e, "embedded holiday calendar skipped");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_is_embedded_and_valid() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/holidays-cn");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed);
        for (name, text) in FILES {
            let y = YearFile::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(format!("{}.json", y.year), *name);
        }
        assert_eq!(embedded_years().len(), FILES.len());
    }
}
