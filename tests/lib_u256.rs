//! `U256` tested like a library: every operation against `num-bigint`'s arbitrary
//! precision `BigUint` as the reference, over the whole 256-bit range.
//!
//! The inputs mix uniform limbs with the edge values (0, 1, small, 2^63, 2^64 - 1 per
//! limb) and random bit lengths, so carries across every limb, values near zero and near
//! 2^256 - 1 and every shift amount are all drawn often.

use cheesechain::chain::u256::U256;
use num_bigint::BigUint;
use proptest::prelude::*;

/// 2^256.
fn two_256() -> BigUint {
    BigUint::from(1u8) << 256u32
}

fn big(x: U256) -> BigUint {
    BigUint::from_bytes_le(&x.to_le_bytes())
}

/// The reference value as a `U256`; panics if it does not fit.
fn small(b: &BigUint) -> U256 {
    let bytes = b.to_bytes_le();
    assert!(bytes.len() <= 32, "{b} does not fit in 256 bits");
    let mut le = [0u8; 32];
    le[..bytes.len()].copy_from_slice(&bytes);
    U256::from_le_bytes(&le)
}

fn limb() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => any::<u64>(),
        1 => Just(0u64),
        1 => Just(u64::MAX),
        1 => 0u64..16,
        1 => Just(1u64 << 63),
    ]
}

/// Any 256-bit value, edge limbs included, then cut to a random bit length.
fn u256() -> impl Strategy<Value = U256> {
    (prop::array::uniform4(limb()), 0u32..=256).prop_map(|(l, keep)| {
        if keep == 0 {
            U256(l)
        } else {
            U256(l) >> (256 - keep)
        }
    })
}

fn nonzero_u256() -> impl Strategy<Value = U256> {
    u256().prop_filter("non-zero", |x| !x.is_zero())
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![3 => any::<u64>(), 1 => limb(), 1 => 1u64..1024]
}

/// Bitcoin's `SetCompact` on the reference: mantissa times 256^(exponent - 3), `None`
/// for the sign bit, a zero mantissa, a value of 2^256 or more, or one that rounds to
/// zero (the spec's rules).
fn ref_from_compact(bits: u32) -> Option<BigUint> {
    let exponent = bits >> 24;
    let mantissa = bits & 0x007f_ffff;
    if bits & 0x0080_0000 != 0 || mantissa == 0 {
        return None;
    }
    let v = if exponent >= 3 {
        BigUint::from(mantissa) << (8 * (exponent - 3))
    } else {
        BigUint::from(mantissa) >> (8 * (3 - exponent))
    };
    (v != BigUint::ZERO && v < two_256()).then_some(v)
}

/// Bitcoin's `GetCompact` on the reference.
fn ref_to_compact(v: &BigUint) -> u32 {
    let mut size = v.bits().div_ceil(8) as u32;
    let mut compact: u32 = if size <= 3 {
        u32::try_from(v << (8 * (3 - size))).expect("3 bytes")
    } else {
        u32::try_from(v >> (8 * (size - 3))).expect("3 bytes")
    };
    if compact & 0x0080_0000 != 0 {
        compact >>= 8;
        size += 1;
    }
    compact | (size << 24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn le_bytes_round_trip_and_match_the_reference(b in prop::array::uniform32(any::<u8>())) {
        let x = U256::from_le_bytes(&b);
        prop_assert_eq!(x.to_le_bytes(), b);
        prop_assert_eq!(big(x), BigUint::from_bytes_le(&b));
        // Limbs are least significant first, each little-endian.
        for i in 0..4 {
            prop_assert_eq!(x.0[i], u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap()));
        }
    }

    #[test]
    fn small_accessors(x in u256(), v in any::<u64>()) {
        prop_assert_eq!(big(U256::from_u64(v)), BigUint::from(v));
        prop_assert_eq!(x.is_zero(), big(x) == BigUint::ZERO);
        prop_assert_eq!(BigUint::from(x.low_u64()), big(x) % (BigUint::from(1u8) << 64u32));
        prop_assert_eq!(u64::from(x.bits()), big(x).bits());
    }

    #[test]
    fn add_matches_the_reference(a in u256(), b in u256()) {
        let sum = big(a) + big(b);
        let overflow = sum >= two_256();
        let wrapped = small(&(&sum % two_256()));
        prop_assert_eq!(a.overflowing_add(b), (wrapped, overflow));
        prop_assert_eq!(a.checked_add(b), (!overflow).then_some(wrapped));
        prop_assert_eq!(a.saturating_add(b), if overflow { U256::MAX } else { wrapped });
    }

    #[test]
    fn sub_matches_the_reference(a in u256(), b in u256()) {
        let borrow = big(a) < big(b);
        let wrapped = small(&((big(a) + two_256() - big(b)) % two_256()));
        prop_assert_eq!(a.overflowing_sub(b), (wrapped, borrow));
        prop_assert_eq!(a.checked_sub(b), (!borrow).then_some(wrapped));
    }

    #[test]
    fn mul_u64_matches_the_reference(a in u256(), m in any_u64()) {
        let full = big(a) * BigUint::from(m);
        let low = small(&(&full % two_256()));
        let high = u64::try_from(&full >> 256u32).expect("a 256x64 product has 320 bits");
        prop_assert_eq!(a.mul_u64_wide(m), (low, high));
        prop_assert_eq!(a.checked_mul_u64(m), (high == 0).then_some(low));
    }

    #[test]
    fn mul_div_u64_matches_the_reference(a in u256(), m in any_u64(), d in any_u64()) {
        let want = if d == 0 {
            None
        } else {
            let q = big(a) * BigUint::from(m) / BigUint::from(d);
            (q < two_256()).then(|| small(&q))
        };
        prop_assert_eq!(a.mul_div_u64(m, d), want);
    }

    #[test]
    fn div_rem_matches_the_reference(a in u256(), d in u256()) {
        let want = (!d.is_zero()).then(|| (small(&(big(a) / big(d))), small(&(big(a) % big(d)))));
        prop_assert_eq!(a.div_rem(d), want);
    }

    #[test]
    fn div_rem_by_small_divisors(a in u256(), d in 1u64..=u64::MAX) {
        let d256 = U256::from_u64(d);
        let want = (small(&(big(a) / BigUint::from(d))), small(&(big(a) % BigUint::from(d))));
        prop_assert_eq!(a.div_rem(d256), Some(want));
    }

    #[test]
    fn shifts_match_the_reference(a in u256(), n in 0u32..=300) {
        prop_assert_eq!(a << n, small(&((big(a) << n) % two_256())));
        prop_assert_eq!(a >> n, small(&(big(a) >> n)));
        prop_assert_eq!(!a, small(&(two_256() - 1u8 - big(a))));
    }

    #[test]
    fn shifts_by_any_u32(a in u256(), n in any::<u32>()) {
        let want_shr = if n >= 256 { U256::ZERO } else { small(&(big(a) >> n)) };
        let want_shl = if n >= 256 { U256::ZERO } else { small(&((big(a) << n) % two_256())) };
        prop_assert_eq!(a >> n, want_shr);
        prop_assert_eq!(a << n, want_shl);
    }

    #[test]
    fn ordering_matches_the_reference(a in u256(), b in u256()) {
        prop_assert_eq!(a.cmp(&b), big(a).cmp(&big(b)));
        prop_assert_eq!(a.partial_cmp(&b), Some(big(a).cmp(&big(b))));
        prop_assert_eq!(a == b, big(a) == big(b));
    }

    #[test]
    fn hex_and_display_match_the_reference(a in u256()) {
        let want = big(a).to_str_radix(16);
        prop_assert_eq!(a.to_hex(), want.clone());
        prop_assert_eq!(format!("{a}"), format!("0x{want}"));
        prop_assert_eq!(format!("{a:?}"), format!("0x{want}"));
    }

    #[test]
    fn from_compact_matches_the_reference(bits in any::<u32>()) {
        prop_assert_eq!(U256::from_compact(bits).map(big), ref_from_compact(bits));
    }

    #[test]
    fn from_compact_over_small_exponents(exponent in 0u32..=40, mantissa in any::<u32>()) {
        let bits = (exponent << 24) | (mantissa & 0x00ff_ffff);
        prop_assert_eq!(U256::from_compact(bits).map(big), ref_from_compact(bits));
    }

    #[test]
    fn to_compact_matches_the_reference(a in u256()) {
        prop_assert_eq!(a.to_compact(), ref_to_compact(&big(a)));
    }

    #[test]
    fn compact_round_trip_keeps_the_top_three_bytes(a in nonzero_u256()) {
        let c = a.to_compact();
        prop_assert_eq!(c & 0x0080_0000, 0, "never the sign bit");
        let back = U256::from_compact(c);
        // Decoding gives `a` with everything below the mantissa's three bytes cut (two
        // bytes when a third would set the sign bit: the exponent then grew by one).
        let exponent = c >> 24;
        let cut = if exponent > 3 { 8 * (exponent - 3) } else { 0 };
        let truncated = (a >> cut) << cut;
        prop_assert_eq!(back, Some(truncated));
        // And the truncated value encodes to the same bits again.
        prop_assert_eq!(truncated.to_compact(), c);
    }
}

#[test]
fn constants_and_compact_edges() {
    assert_eq!(big(U256::ZERO), BigUint::ZERO);
    assert_eq!(big(U256::ONE), BigUint::from(1u8));
    assert_eq!(big(U256::MAX), two_256() - 1u8);
    assert_eq!(U256::ZERO.to_compact(), 0);
    assert_eq!(U256::MAX.to_compact(), ref_to_compact(&big(U256::MAX)));
    // Bitcoin's genesis target.
    assert_eq!(
        U256::from_compact(0x1d00_ffff).map(big),
        Some(BigUint::from(0xffffu32) << 208u32)
    );
    // A mantissa whose top bit would be the sign bit moves one byte down: 0xffffff
    // encodes as 0x0400ffff and decodes as 0xffff00 (an edge proptest found in this
    // file's own round-trip property).
    assert_eq!(U256::from_u64(0xff_ffff).to_compact(), 0x0400_ffff);
    assert_eq!(
        U256::from_compact(0x0400_ffff),
        Some(U256::from_u64(0xff_ff00))
    );
    for bits in [
        0u32,
        0x0080_0000,
        0x2101_0000,
        0x2200_0001,
        0x0100_0001,
        0x0300_0000,
    ] {
        assert_eq!(
            U256::from_compact(bits).map(big),
            ref_from_compact(bits),
            "{bits:#x}"
        );
    }
}
