//! JSON string literals for the hand-written JSON the programs print (no serde).

use std::fmt::Write;

/// `s` as a JSON string literal, quotes included: `"` and `\` escaped, every control
/// character as `\u00XX`.
pub fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn quotes_backslashes_and_control_characters_are_escaped() {
        assert_eq!(json_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u000ad\"");
        assert_eq!(json_str("§ ok"), "\"§ ok\"");
    }
}
