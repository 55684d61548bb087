//! secp256k1 keys: generating secrets, signing transfers and verifying their signatures.

use super::hash::Hash256;
use super::tx::{AccountId, Transfer};
use secp256k1::{ecdsa, Message, PublicKey, SecretKey};
use std::fmt;
use std::io::Read;

/// Why a transfer signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The sender field is not a point on the curve.
    BadPublicKey,
    /// The signature bytes are not a valid compact signature (r or s out of range).
    Malformed,
    /// The signature is valid but its S is in the upper half (not canonical).
    HighS,
    /// The signature does not match the digest and key.
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::BadPublicKey => "sender is not a valid public key",
            SignatureError::Malformed => "malformed signature",
            SignatureError::HighS => "signature is not low-S",
            SignatureError::Mismatch => "signature does not verify",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Why a text given as an account is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountParseError {
    /// Neither 66 hex digits (33 bytes) nor a checksummed account.
    NotHex,
    /// Meant as a checksummed account (`cheese1…`) but not a valid one: a typo.
    Checksummed(super::bech32m::Bech32Error),
    /// 33 bytes, but not a compressed secp256k1 public key: the prefix is not 02 or
    /// 03, or X is not the coordinate of a point on the curve. Coins paid to it could
    /// never be spent.
    NotAPoint,
}

impl fmt::Display for AccountParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountParseError::NotHex => {
                "not an account (66 hex digits or cheese1 and 59 letters expected)"
            }
            AccountParseError::Checksummed(e) => return write!(f, "not an account: {e}"),
            AccountParseError::NotAPoint => {
                "not an account: not a compressed secp256k1 public key (coins sent to it could never be spent)"
            }
        })
    }
}

impl std::error::Error for AccountParseError {}

/// Parses the text form of an account, checksummed (`cheese1…`) or raw (66 hex
/// digits), and checks that it is a valid compressed secp256k1 point, so that coins
/// paid to it can be spent.
///
/// # Errors
/// [`AccountParseError`].
pub fn parse_account(s: &str) -> Result<AccountId, AccountParseError> {
    let id = if super::bech32m::looks_like_account_text(s) {
        super::bech32m::decode_account(s).map_err(AccountParseError::Checksummed)?
    } else {
        AccountId::from_hex(s).ok_or(AccountParseError::NotHex)?
    };
    PublicKey::from_slice(&id.0).map_err(|_| AccountParseError::NotAPoint)?;
    Ok(id)
}

/// Draws a new secret key from the operating system's random source.
///
/// # Errors
/// An I/O error if `/dev/urandom` cannot be read.
pub fn generate_secret() -> std::io::Result<SecretKey> {
    let mut f = std::fs::File::open("/dev/urandom")?;
    loop {
        let mut b = [0u8; 32];
        f.read_exact(&mut b)?;
        if let Ok(sk) = SecretKey::from_secret_bytes(b) {
            return Ok(sk);
        }
    }
}

/// A secret key from 32 bytes, for tests and deterministic simulations.
/// Returns `None` for zero or values not below the curve order.
pub fn secret_from_bytes(b: [u8; 32]) -> Option<SecretKey> {
    SecretKey::from_secret_bytes(b).ok()
}

/// The account (compressed public key) of a secret key.
pub fn account_of(sk: &SecretKey) -> AccountId {
    AccountId(PublicKey::from_secret_key(sk).serialize())
}

/// Fills in `t.signature` for the given chain. `t.sender` should be `account_of(sk)`.
pub fn sign_transfer(t: &mut Transfer, sk: &SecretKey, chain_id: &Hash256) {
    let msg = Message::from_digest(t.signing_digest(chain_id));
    t.signature = ecdsa::sign(msg, sk).serialize_compact();
}

/// Checks a transfer's signature against its sender key.
///
/// # Errors
/// A [`SignatureError`] saying which part failed.
pub fn verify_transfer(t: &Transfer, chain_id: &Hash256) -> Result<(), SignatureError> {
    let pk = parse_sender(&t.sender)?;
    verify_transfer_with_key(t, &pk, chain_id)
}

/// Parses an account id as a public key. Decompressing the point is a good part of the
/// cost of a verification, so a caller checking many transfers of the same sender (a
/// block) parses each sender once and uses [`verify_transfer_with_key`].
///
/// # Errors
/// [`SignatureError::BadPublicKey`].
pub fn parse_sender(id: &AccountId) -> Result<PublicKey, SignatureError> {
    PublicKey::from_slice(&id.0).map_err(|_| SignatureError::BadPublicKey)
}

/// [`verify_transfer`] with the sender's key already parsed by [`parse_sender`] (the
/// caller makes sure `pk` is `t.sender`'s key).
///
/// # Errors
/// A [`SignatureError`] other than `BadPublicKey`.
pub fn verify_transfer_with_key(
    t: &Transfer,
    pk: &PublicKey,
    chain_id: &Hash256,
) -> Result<(), SignatureError> {
    verify_transfer_digest(t, pk, &t.signing_digest(chain_id))
}

/// [`verify_transfer_with_key`] with the transfer's signing digest already computed
/// (the caller makes sure `digest` is `t.signing_digest(chain_id)`).
///
/// # Errors
/// A [`SignatureError`] other than `BadPublicKey`.
pub fn verify_transfer_digest(
    t: &Transfer,
    pk: &PublicKey,
    digest: &[u8; 32],
) -> Result<(), SignatureError> {
    let sig =
        ecdsa::Signature::from_compact(&t.signature).map_err(|_| SignatureError::Malformed)?;
    let mut normal = sig;
    normal.normalize_s();
    if normal != sig {
        return Err(SignatureError::HighS);
    }
    let msg = Message::from_digest(*digest);
    ecdsa::verify(&sig, msg, pk).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(sk: &SecretKey) -> Transfer {
        Transfer {
            sender: account_of(sk),
            recipient: AccountId([2; 33]),
            amount: 10,
            fee: 1,
            sequence: 0,
            signature: [0; 64],
        }
    }

    #[test]
    fn parse_account_accepts_keys_and_rejects_other_text() {
        let sk = secret_from_bytes([7; 32]).unwrap();
        let a = account_of(&sk);
        assert_eq!(parse_account(&a.to_string()), Ok(a));
        let text = super::super::bech32m::encode_account(&a);
        assert_eq!(parse_account(&text), Ok(a));
        let mut typo = text.into_bytes();
        typo[20] = if typo[20] == b'q' { b'p' } else { b'q' };
        assert!(matches!(
            parse_account(std::str::from_utf8(&typo).unwrap()),
            Err(AccountParseError::Checksummed(_))
        ));
        let not_a_point_text = super::super::bech32m::encode_account(
            &AccountId::from_hex(&format!("02{}", "ff".repeat(32))).unwrap(),
        );
        assert_eq!(
            parse_account(&not_a_point_text),
            Err(AccountParseError::NotAPoint)
        );
        let not_a_point = format!("02{}", "ff".repeat(32));
        assert_eq!(
            parse_account(&not_a_point),
            Err(AccountParseError::NotAPoint)
        );
        let bad_prefix = format!("05{}", &a.to_string()[2..]);
        assert_eq!(
            parse_account(&bad_prefix),
            Err(AccountParseError::NotAPoint)
        );
        assert_eq!(parse_account("02ab"), Err(AccountParseError::NotHex));
        assert_eq!(
            parse_account(&"zz".repeat(33)),
            Err(AccountParseError::NotHex)
        );
    }

    #[test]
    fn signed_transfer_verifies_and_any_change_breaks_it() {
        let sk = secret_from_bytes([7; 32]).unwrap();
        let chain = Hash256([1; 32]);
        let mut t = transfer(&sk);
        sign_transfer(&mut t, &sk, &chain);
        assert_eq!(verify_transfer(&t, &chain), Ok(()));
        assert_eq!(
            verify_transfer(&t, &Hash256([2; 32])),
            Err(SignatureError::Mismatch)
        );
        let mut more = t;
        more.amount += 1;
        assert_eq!(
            verify_transfer(&more, &chain),
            Err(SignatureError::Mismatch)
        );
        let mut bad_key = t;
        bad_key.sender.0[0] = 0x05;
        assert_eq!(
            verify_transfer(&bad_key, &chain),
            Err(SignatureError::BadPublicKey)
        );
    }

    #[test]
    fn high_s_signature_is_refused() {
        let sk = secret_from_bytes([9; 32]).unwrap();
        let chain = Hash256([1; 32]);
        let mut t = transfer(&sk);
        sign_transfer(&mut t, &sk, &chain);
        // Negate s: n - s, with n the curve order (big-endian).
        const N: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
            0xd0, 0x36, 0x41, 0x41,
        ];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = N[i] as i16 - t.signature[32 + i] as i16 - borrow;
            t.signature[32 + i] = d.rem_euclid(256) as u8;
            borrow = if d < 0 { 1 } else { 0 };
        }
        assert_eq!(verify_transfer(&t, &chain), Err(SignatureError::HighS));
    }
}
