//! Writes `spec/vectors/accounts.txt`, the vectors of the checksummed text form of an
//! account, deterministically: `cargo run --release --example gen_account_vectors`.
//! `tests/spec_accounts.rs` checks every line against the code.

use cheesechain::chain::bech32m::{decode_account, encode, encode_account, to_5bit, ACCOUNT_HRP};
use cheesechain::chain::keys::{account_of, parse_account, secret_from_bytes, AccountParseError};
use cheesechain::chain::AccountId;
use std::fmt::Write as _;

/// The error name `parse_account` gives for `text`.
fn error_of(text: &str) -> &'static str {
    match parse_account(text) {
        Ok(_) => panic!("{text} is valid"),
        Err(AccountParseError::Checksummed(e)) => e.name(),
        Err(AccountParseError::NotAPoint) => "not_a_point",
        Err(AccountParseError::NotHex) => "not_hex",
    }
}

fn main() -> std::io::Result<()> {
    let mut s = String::from(
        "# The checksummed text form of an account (spec/consensus.md §15): bech32m\n\
         # (BIP 350) with prefix `cheese`, the 33 key bytes as 5-bit letters.\n\
         # account: <hex> <text>   a valid pair: <hex> encodes to <text> and <text>\n\
         #   decodes to <hex>; <hex> is the account's 33 bytes in wire order.\n\
         # upper: <hex> <TEXT>     the same in upper case, which also decodes to <hex>.\n\
         # invalid: <text> <error> a text that is no account, with the error it gives:\n\
         #   shape, character, checksum, length, not_a_point (a valid text whose key\n\
         #   is not a curve point), or not_hex (neither 66 hex digits nor a text\n\
         #   starting `cheese1` in either case).\n",
    );
    let mut first = None;
    for i in 1u8..=4 {
        let id = account_of(&secret_from_bytes([i; 32]).expect("a valid secret"));
        let text = encode_account(&id);
        assert_eq!(decode_account(&text), Ok(id));
        writeln!(s, "account: {id} {text}").unwrap();
        first.get_or_insert((id, text));
    }
    let (id, text) = first.expect("four accounts");
    writeln!(s, "upper: {id} {}", text.to_ascii_uppercase()).unwrap();

    let letters = text.as_bytes();
    let mut typo = letters.to_vec();
    typo[20] = if typo[20] == b'q' { b'p' } else { b'q' };
    let mut swap = letters.to_vec();
    let pos = (8..letters.len() - 1)
        .find(|&p| letters[p] != letters[p + 1])
        .expect("two different neighbours");
    swap.swap(pos, pos + 1);
    let mut mixed = letters.to_vec();
    mixed[10] = mixed[10].to_ascii_uppercase();
    if mixed[10] == letters[10] {
        mixed[7] = b'Q'; // a digit has no case; force an upper-case letter
    }
    let mut bad_letter = letters.to_vec();
    bad_letter[12] = b'b'; // b, i, o and 1 are not among the 32 letters
    let no_point = AccountId::from_hex(&format!("02{}", "ff".repeat(32))).expect("33 bytes");
    let cases: Vec<String> = vec![
        String::from_utf8(typo).expect("ascii"),
        String::from_utf8(swap).expect("ascii"),
        String::from_utf8(mixed).expect("ascii"),
        String::from_utf8(bad_letter).expect("ascii"),
        text[..text.len() - 1].to_string(),
        encode("cheddar", &to_5bit(&id.0)),
        encode(ACCOUNT_HRP, &to_5bit(&id.0[..32])),
        encode(ACCOUNT_HRP, &to_5bit(&[id.0.as_slice(), &[0]].concat())),
        format!("cheese1{}", "q".repeat(90)),
        encode_account(&no_point),
    ];
    for c in cases {
        writeln!(s, "invalid: {c} {}", error_of(&c)).unwrap();
    }
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/accounts.txt").into()
    });
    std::fs::write(path, s)
}
