//! `spec/vectors/accounts.txt`: every checksummed account text decodes to its key and
//! back, and every invalid text gives the error the vector names.

use cheesechain::chain::bech32m::encode_account;
use cheesechain::chain::keys::{parse_account, AccountParseError};
use cheesechain::chain::AccountId;

const VECTORS: &str = include_str!("../spec/vectors/accounts.txt");

fn error_name(e: AccountParseError) -> &'static str {
    match e {
        AccountParseError::Checksummed(e) => e.name(),
        AccountParseError::NotAPoint => "not_a_point",
        AccountParseError::NotHex => "not_hex",
    }
}

#[test]
fn account_text_vectors_match_the_code() {
    let (mut valid, mut invalid) = (0, 0);
    for line in VECTORS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (kind, rest) = line.split_once(": ").expect("key: value");
        let fields: Vec<&str> = rest.split(' ').collect();
        assert_eq!(fields.len(), 2, "{line}");
        match kind {
            "account" | "upper" => {
                let id = AccountId::from_hex(fields[0]).expect("33 bytes of hex");
                assert_eq!(parse_account(fields[1]), Ok(id), "{line}");
                assert_eq!(parse_account(fields[0]), Ok(id), "{line}");
                if kind == "account" {
                    assert_eq!(encode_account(&id), fields[1], "{line}");
                }
                valid += 1;
            }
            "invalid" => {
                let got = parse_account(fields[0]).map_err(error_name);
                assert_eq!(got, Err(fields[1]), "{line}");
                invalid += 1;
            }
            _ => panic!("unknown line {line}"),
        }
    }
    assert!(
        valid >= 5 && invalid >= 10,
        "{valid} valid, {invalid} invalid"
    );
}
