//! Cutting a message body into parts a channel takes: at most `max_bytes` of UTF-8 each,
//! cut between lines where it can be, inside a line (between characters) only when one
//! line alone is too long. Joining the parts with `\n` gives the body back, except that
//! a line cut inside loses nothing but gains the join's line break.

/// The parts of `text`, each at most `max_bytes` bytes (at least one part; `max_bytes`
/// below 4 is treated as 4 so that every character fits).
pub fn split(text: &str, max_bytes: usize) -> Vec<String> {
    let max = max_bytes.max(4);
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let needed = if current.is_empty() {
            line.len()
        } else {
            current.len() + 1 + line.len()
        };
        if needed <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            continue;
        }
        if !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        let mut rest = line;
        while rest.len() > max {
            let cut = floor_char_boundary(rest, max);
            parts.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        current.push_str(rest);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// The largest index ≤ `at` that starts a character.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    (0..=at.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("a\nb", 100), vec!["a\nb"]);
        assert_eq!(split("", 100), vec![""]);
    }

    #[test]
    fn parts_are_cut_between_lines_and_keep_every_line() {
        let lines: Vec<String> = (0..50)
            .map(|i| format!("- 账号{i} 密码轮换已逾期"))
            .collect();
        let text = lines.join("\n");
        let parts = split(&text, 120);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= 120));
        assert_eq!(parts.join("\n"), text);
    }

    #[test]
    fn a_long_line_is_cut_between_characters() {
        let line = "字".repeat(100); // 300 bytes
        let parts = split(&line, 64);
        assert!(parts.iter().all(|p| p.len() <= 64 && !p.is_empty()));
        assert_eq!(parts.concat(), line);
    }
}
