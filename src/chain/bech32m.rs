//! Bech32m (BIP 350), the checksummed text form of an account: `cheese1` and 59
//! letters that catch every typo of up to four characters.
//!
//! This is presentation, not consensus: blocks and transfers carry the 33 raw bytes.
//! The encoding is BIP 173's with BIP 350's checksum constant; the human-readable
//! part is [`ACCOUNT_HRP`] and the data is the 33 key bytes regrouped into 5-bit
//! letters (the last one padded with zero bits), with no witness version.

use super::tx::{AccountId, ACCOUNT_LEN};
use std::fmt;

/// The human-readable part of an account's text form.
pub const ACCOUNT_HRP: &str = "cheese";
/// BIP 173's limit on the length of a string; far above an account's 66.
const MAX_LEN: usize = 90;
/// The 32 letters, each standing for the 5-bit value of its position.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// BIP 350's constant, which the checksum of a valid string leaves.
const BECH32M_CONST: u32 = 0x2bc8_30a3;
/// Letters of checksum at the end of the string.
const CHECKSUM_LEN: usize = 6;

/// Why a text is not a valid bech32m string for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bech32Error {
    /// Longer than 90 characters, or no `1` separating a prefix from 6 or more letters.
    Shape,
    /// Upper and lower case mixed, or a character outside the 32 letters.
    Character,
    /// The checksum does not match: a letter was mistyped.
    Checksum,
    /// A valid string, but its prefix is not `cheese`.
    Prefix,
    /// A valid `cheese` string whose data is not 33 bytes.
    Length,
}

impl Bech32Error {
    /// The error's name in the spec's vectors.
    pub fn name(&self) -> &'static str {
        match self {
            Bech32Error::Shape => "shape",
            Bech32Error::Character => "character",
            Bech32Error::Checksum => "checksum",
            Bech32Error::Prefix => "prefix",
            Bech32Error::Length => "length",
        }
    }
}

impl fmt::Display for Bech32Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bech32Error::Shape => "not a checksummed account (cheese1 and 59 letters)",
            Bech32Error::Character => "a character that no checksummed account contains",
            Bech32Error::Checksum => "checksum does not match (a typo?)",
            Bech32Error::Prefix => {
                "a checksummed string, but not an account (prefix is not cheese)"
            }
            Bech32Error::Length => "a checksummed string of the wrong length for an account",
        })
    }
}

impl std::error::Error for Bech32Error {}

/// The checksummed text form of `id`: `cheese1…`, 66 characters.
pub fn encode_account(id: &AccountId) -> String {
    encode(ACCOUNT_HRP, &to_5bit(&id.0))
}

/// Parses the checksummed text form of an account (either case, not mixed). It does
/// not check that the key is a curve point.
///
/// # Errors
/// [`Bech32Error`].
pub fn decode_account(s: &str) -> Result<AccountId, Bech32Error> {
    let (hrp, data) = decode(s)?;
    if hrp != ACCOUNT_HRP {
        return Err(Bech32Error::Prefix);
    }
    let bytes = from_5bit(&data).ok_or(Bech32Error::Length)?;
    Ok(AccountId(
        bytes.try_into().map_err(|_| Bech32Error::Length)?,
    ))
}

/// True if `s` looks meant as a checksummed account (starts `cheese1`, either case),
/// so that errors about it speak of the checksum rather than of hex.
pub fn looks_like_account_text(s: &str) -> bool {
    s.len() > ACCOUNT_HRP.len() && s[..ACCOUNT_HRP.len() + 1].eq_ignore_ascii_case("cheese1")
}

/// BIP 173's checksum generator over 5-bit values.
fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// The prefix as the checksum sees it: high bits of each byte, a zero, low bits.
fn hrp_expand(hrp: &str) -> impl Iterator<Item = u8> + '_ {
    hrp.bytes()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.bytes().map(|c| c & 31))
}

/// Encodes a lowercase prefix and 5-bit data as a bech32m string.
pub fn encode(hrp: &str, data: &[u8]) -> String {
    let pm = polymod(
        hrp_expand(hrp)
            .chain(data.iter().copied())
            .chain([0; CHECKSUM_LEN]),
    ) ^ BECH32M_CONST;
    let mut s = String::with_capacity(hrp.len() + 1 + data.len() + CHECKSUM_LEN);
    s.push_str(hrp);
    s.push('1');
    for &d in data {
        s.push(char::from(CHARSET[usize::from(d & 31)]));
    }
    for i in 0..CHECKSUM_LEN {
        let d = (pm >> (5 * (CHECKSUM_LEN - 1 - i))) & 31;
        s.push(char::from(CHARSET[d as usize]));
    }
    s
}

/// Decodes a bech32m string into its lowercase prefix and 5-bit data (checksum
/// removed). Work and memory are bounded by the 90-character limit, checked first.
///
/// # Errors
/// [`Bech32Error::Shape`], [`Bech32Error::Character`] or [`Bech32Error::Checksum`].
pub fn decode(s: &str) -> Result<(String, Vec<u8>), Bech32Error> {
    if s.len() > MAX_LEN {
        return Err(Bech32Error::Shape);
    }
    if !s.bytes().all(|c| (33..=126).contains(&c)) {
        return Err(Bech32Error::Character);
    }
    let has_lower = s.bytes().any(|c| c.is_ascii_lowercase());
    let has_upper = s.bytes().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper {
        return Err(Bech32Error::Character);
    }
    let s = s.to_ascii_lowercase();
    let sep = s.rfind('1').ok_or(Bech32Error::Shape)?;
    if sep == 0 || sep + 1 + CHECKSUM_LEN > s.len() {
        return Err(Bech32Error::Shape);
    }
    let (hrp, rest) = (&s[..sep], &s[sep + 1..]);
    let mut data = Vec::with_capacity(rest.len());
    for c in rest.bytes() {
        let v = CHARSET
            .iter()
            .position(|&x| x == c)
            .ok_or(Bech32Error::Character)?;
        data.push(v as u8);
    }
    if polymod(hrp_expand(hrp).chain(data.iter().copied())) != BECH32M_CONST {
        return Err(Bech32Error::Checksum);
    }
    data.truncate(data.len() - CHECKSUM_LEN);
    Ok((hrp.to_string(), data))
}

/// Regroups bytes into 5-bit values, padding the last with zero bits.
pub fn to_5bit(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((bytes.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

/// Regroups 5-bit values into bytes; `None` unless the padding is under 5 bits and
/// all zero, or if the result is longer than an account.
fn from_5bit(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() > (ACCOUNT_LEN * 8).div_ceil(5) {
        return None;
    }
    let mut out = Vec::with_capacity(ACCOUNT_LEN);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &d in data {
        acc = (acc << 5) | u32::from(d);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    (bits < 5 && (acc & ((1 << bits) - 1)) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid bech32m strings from BIP 350's test vectors.
    const BIP350_VALID: [&str; 7] = [
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ];

    #[test]
    fn bip350_valid_strings_decode_and_reencode() {
        for s in BIP350_VALID {
            if s.len() > MAX_LEN {
                assert_eq!(decode(s), Err(Bech32Error::Shape), "{s}");
                continue;
            }
            let (hrp, data) = decode(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(encode(&hrp, &data), s.to_ascii_lowercase());
        }
    }

    #[test]
    fn bip350_invalid_strings_are_refused() {
        for s in [
            "\u{20}1xj0phk",                                 // hrp character out of range
            "pzry9x0s0muk",                                  // no separator
            "1pzry9x0s0muk",                                 // empty hrp
            "x1b4n0q5v",                                     // invalid data character
            "li1dgmt3",                                      // too short checksum
            "A1G7SGD8",                                      // checksum computed with uppercase hrp
            "1qzzfhee",                                      // empty hrp
            "a1lqfn3q",                                      // bad checksum
            "A1lqfn3a",                                      // mixed case
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", // bech32 (not m) checksum
        ] {
            assert!(decode(s).is_err(), "{s:?} decoded");
        }
    }

    #[test]
    fn an_account_round_trips_and_every_single_typo_is_caught() {
        let mut id = AccountId([0; ACCOUNT_LEN]);
        for (i, b) in id.0.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(2);
        }
        let s = encode_account(&id);
        assert_eq!(s.len(), 66);
        assert!(s.starts_with("cheese1"));
        assert_eq!(decode_account(&s), Ok(id));
        assert_eq!(decode_account(&s.to_ascii_uppercase()), Ok(id));
        let letters = s.as_bytes();
        for pos in ACCOUNT_HRP.len() + 1..letters.len() {
            for &c in CHARSET.iter().filter(|&&c| c != letters[pos]) {
                let mut typo = letters.to_vec();
                typo[pos] = c;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(decode_account(&typo), Err(Bech32Error::Checksum), "{typo}");
            }
        }
        // Two adjacent letters swapped.
        for pos in ACCOUNT_HRP.len() + 1..letters.len() - 1 {
            if letters[pos] != letters[pos + 1] {
                let mut swap = letters.to_vec();
                swap.swap(pos, pos + 1);
                let swap = String::from_utf8(swap).unwrap();
                assert!(decode_account(&swap).is_err(), "{swap}");
            }
        }
    }

    #[test]
    fn other_prefixes_and_lengths_are_not_accounts() {
        let short = encode(ACCOUNT_HRP, &to_5bit(&[2; 32]));
        assert_eq!(decode_account(&short), Err(Bech32Error::Length));
        let other = encode("cheddar", &to_5bit(&[2; ACCOUNT_LEN]));
        assert_eq!(decode_account(&other), Err(Bech32Error::Prefix));
    }
}
