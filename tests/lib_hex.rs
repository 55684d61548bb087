//! The hand-written hex encoder and decoder tested like a library, against the `hex`
//! crate as the reference: `chain::hash::{hex, unhex}` and the types built on them
//! (`Hash256::{to_hex, from_hex}` in display order, `AccountId::from_hex`).

use cheesechain::chain::hash::{hex, unhex};
use cheesechain::chain::{AccountId, Hash256};
use proptest::prelude::*;

/// Strings of hex digits of both cases with, now and then, a character that is not one
/// (punctuation, whitespace, `g`, a multi-byte character, a `0x` prefix).
fn hexish() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        20 => prop::sample::select(b"0123456789abcdefABCDEF".to_vec()).prop_map(char::from),
        1 => prop::sample::select(vec!['g', 'G', 'x', ' ', '\n', '-', '/', ':', '@', '`', 'é', '\0']),
    ];
    prop::collection::vec(ch, 0..80).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn encode_matches_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        prop_assert_eq!(hex(&bytes), hex::encode(&bytes));
        prop_assert_eq!(unhex(&hex(&bytes)), Some(bytes.clone()));
        prop_assert_eq!(unhex(&hex::encode_upper(&bytes)), Some(bytes));
    }

    #[test]
    fn decode_matches_the_reference(s in hexish()) {
        prop_assert_eq!(unhex(&s), hex::decode(&s).ok(), "input {:?}", s);
    }

    #[test]
    fn decode_any_string_matches_the_reference(s in any::<String>()) {
        prop_assert_eq!(unhex(&s), hex::decode(&s).ok(), "input {:?}", s);
    }

    #[test]
    fn hash_hex_is_the_reversed_bytes(b in prop::array::uniform32(any::<u8>())) {
        let h = Hash256(b);
        let mut rev = b;
        rev.reverse();
        prop_assert_eq!(h.to_hex(), hex::encode(rev));
        prop_assert_eq!(format!("{h}"), hex::encode(rev));
        prop_assert_eq!(Hash256::from_hex(&h.to_hex()), Some(h));
        prop_assert_eq!(Hash256::from_hex(&h.to_hex().to_uppercase()), Some(h));
        prop_assert_eq!(h.short(), hex::encode(rev)[..16].to_string());
    }

    #[test]
    fn hash_from_hex_matches_the_reference(s in hexish()) {
        let want = hex::decode(&s).ok().and_then(|v| <[u8; 32]>::try_from(v).ok()).map(|mut a| {
            a.reverse();
            Hash256(a)
        });
        prop_assert_eq!(Hash256::from_hex(&s), want);
    }

    #[test]
    fn account_from_hex_matches_the_reference(b in prop::collection::vec(any::<u8>(), 30..36), upper in any::<bool>()) {
        let s = if upper { hex::encode_upper(&b) } else { hex::encode(&b) };
        let want = <[u8; 33]>::try_from(b.clone()).ok().map(AccountId);
        prop_assert_eq!(AccountId::from_hex(&s), want);
    }
}

#[test]
fn rejects_what_the_reference_rejects() {
    for s in [
        "0",
        "abc",
        "0x00",
        "zz",
        " 00",
        "00 ",
        "+0",
        "é0",
        "0é",
        "\u{0660}0",
    ] {
        assert_eq!(unhex(s), None, "{s:?}");
        assert!(hex::decode(s).is_err(), "{s:?}");
    }
    assert_eq!(unhex(""), Some(vec![]));
    assert_eq!(hex(&[]), "");
}
