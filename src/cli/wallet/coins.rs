//! Coin amounts as the wallet's flags and output write them: decimal coins with up to
//! 8 places, to and from base units.

use crate::chain::params::COIN;

/// Parses a coin amount with up to 8 decimals into base units.
pub fn parse_coins(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 8 {
        return None;
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<8}").parse().ok()?
    };
    w.checked_mul(COIN)?.checked_add(f)
}

/// Formats base units as coins with 8 decimals.
pub fn format_coins(units: u64) -> String {
    format!("{}.{:08}", units / COIN, units % COIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coin_amounts_parse_and_format() {
        assert_eq!(parse_coins("1"), Some(COIN));
        assert_eq!(parse_coins("1.5"), Some(COIN + COIN / 2));
        assert_eq!(parse_coins("0.00000001"), Some(1));
        assert_eq!(parse_coins(".5"), Some(COIN / 2));
        assert_eq!(parse_coins("0.000000001"), None);
        assert_eq!(parse_coins("1e5"), None);
        assert_eq!(parse_coins(""), None);
        assert_eq!(parse_coins("."), None);
        assert_eq!(parse_coins("-1"), None);
        assert_eq!(parse_coins("999999999999999999"), None);
        assert_eq!(format_coins(COIN + 1), "1.00000001");
    }
}
