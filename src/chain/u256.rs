//! A small unsigned 256-bit integer for targets and cumulative chain work.
//!
//! Only what consensus needs: addition, subtraction, multiplication by a `u64`,
//! division, comparison, little-endian byte conversion and Bitcoin's compact ("bits")
//! encoding. Decoding compact bits reuses [`super::target::expand_compact`].

use super::target::expand_compact;
use std::cmp::Ordering;
use std::fmt;

/// An unsigned 256-bit integer as four 64-bit limbs, least significant first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct U256(pub [u64; 4]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; 4]);
    /// One.
    pub const ONE: U256 = U256([1, 0, 0, 0]);
    /// 2^256 - 1.
    pub const MAX: U256 = U256([u64::MAX; 4]);

    /// The value of a `u64`.
    pub const fn from_u64(v: u64) -> U256 {
        U256([v, 0, 0, 0])
    }

    /// Reads 32 little-endian bytes (byte 31 most significant).
    pub fn from_le_bytes(b: &[u8; 32]) -> U256 {
        let mut l = [0u64; 4];
        for (i, limb) in l.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *limb = u64::from_le_bytes(w);
        }
        U256(l)
    }

    /// The 32 little-endian bytes.
    pub fn to_le_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        b
    }

    /// The target encoded by compact `bits`, or `None` for an invalid encoding
    /// (see [`expand_compact`]).
    pub fn from_compact(bits: u32) -> Option<U256> {
        expand_compact(bits).map(|b| U256::from_le_bytes(&b))
    }

    /// True if zero.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The low 64 bits.
    pub fn low_u64(&self) -> u64 {
        self.0[0]
    }

    /// Number of significant bits (0 for zero).
    pub fn bits(&self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    /// Sum and whether it wrapped around 2^256.
    pub fn overflowing_add(self, o: U256) -> (U256, bool) {
        let mut r = [0u64; 4];
        let mut carry = false;
        for (i, limb) in r.iter_mut().enumerate() {
            let (s1, c1) = self.0[i].overflowing_add(o.0[i]);
            let (s2, c2) = s1.overflowing_add(carry as u64);
            *limb = s2;
            carry = c1 || c2;
        }
        (U256(r), carry)
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, o: U256) -> Option<U256> {
        match self.overflowing_add(o) {
            (v, false) => Some(v),
            _ => None,
        }
    }

    /// Sum, capped at [`U256::MAX`].
    pub fn saturating_add(self, o: U256) -> U256 {
        self.checked_add(o).unwrap_or(U256::MAX)
    }

    /// Difference and whether it wrapped below zero.
    pub fn overflowing_sub(self, o: U256) -> (U256, bool) {
        let mut r = [0u64; 4];
        let mut borrow = false;
        for (i, limb) in r.iter_mut().enumerate() {
            let (d1, b1) = self.0[i].overflowing_sub(o.0[i]);
            let (d2, b2) = d1.overflowing_sub(borrow as u64);
            *limb = d2;
            borrow = b1 || b2;
        }
        (U256(r), borrow)
    }

    /// Difference, or `None` if `o > self`.
    pub fn checked_sub(self, o: U256) -> Option<U256> {
        match self.overflowing_sub(o) {
            (v, false) => Some(v),
            _ => None,
        }
    }

    /// Product with a `u64` as 256 low bits and the 64-bit carry out (the bits above 2^256).
    pub fn mul_u64_wide(self, m: u64) -> (U256, u64) {
        let mut r = [0u64; 4];
        let mut carry: u128 = 0;
        for (i, limb) in r.iter_mut().enumerate() {
            let p = self.0[i] as u128 * m as u128 + carry;
            *limb = p as u64;
            carry = p >> 64;
        }
        (U256(r), carry as u64)
    }

    /// Product with a `u64`, or `None` if it does not fit in 256 bits.
    pub fn checked_mul_u64(self, m: u64) -> Option<U256> {
        match self.mul_u64_wide(m) {
            (v, 0) => Some(v),
            _ => None,
        }
    }

    /// `self * m / d` computed exactly (320-bit intermediate), or `None` if `d` is zero
    /// or the quotient does not fit in 256 bits.
    pub fn mul_div_u64(self, m: u64, d: u64) -> Option<U256> {
        if d == 0 {
            return None;
        }
        let (low, high) = self.mul_u64_wide(m);
        // Long division of the five limbs [low.0[0..4], high] by d, most significant first.
        let limbs = [low.0[0], low.0[1], low.0[2], low.0[3], high];
        let mut q = [0u64; 5];
        let mut rem: u128 = 0;
        for i in (0..5).rev() {
            let cur = (rem << 64) | limbs[i] as u128;
            q[i] = (cur / d as u128) as u64;
            rem = cur % d as u128;
        }
        if q[4] != 0 {
            return None;
        }
        Some(U256([q[0], q[1], q[2], q[3]]))
    }

    fn shl_bits(self, n: u32) -> U256 {
        if n >= 256 {
            return U256::ZERO;
        }
        let (limbs, bits) = ((n / 64) as usize, n % 64);
        let mut r = [0u64; 4];
        for i in (limbs..4).rev() {
            let src = i - limbs;
            r[i] = self.0[src] << bits;
            if bits > 0 && src > 0 {
                r[i] |= self.0[src - 1] >> (64 - bits);
            }
        }
        U256(r)
    }

    fn shr_bits(self, n: u32) -> U256 {
        if n >= 256 {
            return U256::ZERO;
        }
        let (limbs, bits) = ((n / 64) as usize, n % 64);
        let mut r = [0u64; 4];
        for (i, limb) in r.iter_mut().enumerate().take(4 - limbs) {
            let src = i + limbs;
            *limb = self.0[src] >> bits;
            if bits > 0 && src + 1 < 4 {
                *limb |= self.0[src + 1] << (64 - bits);
            }
        }
        U256(r)
    }

    /// Quotient and remainder (shift-subtract long division), or `None` for division by
    /// zero.
    pub fn div_rem(self, d: U256) -> Option<(U256, U256)> {
        if d.is_zero() {
            return None;
        }
        if self < d {
            return Some((U256::ZERO, self));
        }
        let shift = self.bits() - d.bits();
        let mut div = d << shift;
        let mut rem = self;
        let mut q = U256::ZERO;
        for i in (0..=shift).rev() {
            if rem >= div {
                rem = rem.overflowing_sub(div).0;
                q.0[(i / 64) as usize] |= 1u64 << (i % 64);
            }
            div = div >> 1;
        }
        Some((q, rem))
    }

    /// Bitcoin's `GetCompact` for a non-negative value: the shortest exponent/mantissa
    /// pair with a mantissa below 0x800000 (precision beyond 3 bytes is truncated).
    /// Zero encodes as 0.
    pub fn to_compact(&self) -> u32 {
        let mut size = self.bits().div_ceil(8);
        let mut compact: u32 = if size <= 3 {
            (self.low_u64() << (8 * (3 - size))) as u32
        } else {
            (*self >> (8 * (size - 3))).low_u64() as u32
        };
        if compact & 0x0080_0000 != 0 {
            compact >>= 8;
            size += 1;
        }
        compact | (size << 24)
    }

    /// Lowercase hex, most significant digit first, without leading zeros.
    pub fn to_hex(&self) -> String {
        let mut s = String::new();
        for l in self.0.iter().rev() {
            s.push_str(&format!("{l:016x}"));
        }
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.into()
        }
    }
}

impl std::ops::Shl<u32> for U256 {
    type Output = U256;
    /// Shift left by `n` bits (bits above 2^256 are lost).
    fn shl(self, n: u32) -> U256 {
        self.shl_bits(n)
    }
}

impl std::ops::Shr<u32> for U256 {
    type Output = U256;
    /// Shift right by `n` bits.
    fn shr(self, n: u32) -> U256 {
        self.shr_bits(n)
    }
}

impl std::ops::Not for U256 {
    type Output = U256;
    /// Bitwise complement.
    fn not(self) -> U256 {
        U256(self.0.map(|l| !l))
    }
}

impl Ord for U256 {
    fn cmp(&self, o: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&o.0[i]) {
                Ordering::Equal => continue,
                ord => return ord,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, o: &U256) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", self.to_hex())
    }
}

impl fmt::Display for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    #[test]
    fn compact_round_trips_bitcoin_values() {
        for bits in [
            0x1d00ffffu32,
            0x1b04864c,
            0x207fffff,
            0x1f00ffff,
            0x1c05a3f4,
            0x03123456,
        ] {
            assert_eq!(U256::from_compact(bits).unwrap().to_compact(), bits);
        }
        // Bitcoin's arith_uint256 tests: a value whose top mantissa bit would be set gets
        // one more exponent byte.
        assert_eq!(u(0x80).to_compact(), 0x0200_8000);
        assert_eq!(u(0x12345600).to_compact(), 0x0412_3456);
        assert_eq!(u(0x1234_5678).to_compact(), 0x0412_3456);
        assert_eq!(U256::ZERO.to_compact(), 0);
    }

    #[test]
    fn division_and_shifts_match_u128() {
        let a = u(0xdead_beef_1234_5678_9abc_def0_1111_2222);
        let b = u(0x1_0000_0001);
        let (q, r) = a.div_rem(b).unwrap();
        assert_eq!(
            q,
            u(0xdead_beef_1234_5678_9abc_def0_1111_2222 / 0x1_0000_0001)
        );
        assert_eq!(
            r,
            u(0xdead_beef_1234_5678_9abc_def0_1111_2222 % 0x1_0000_0001)
        );
        assert_eq!(a.div_rem(U256::ZERO), None);
        assert_eq!((U256::ONE << 200) >> 200, U256::ONE);
        assert_eq!((U256::ONE << 255).bits(), 256);
        assert_eq!(U256::MAX.checked_add(U256::ONE), None);
        assert_eq!(U256::ZERO.checked_sub(U256::ONE), None);
        assert_eq!(U256::MAX.checked_mul_u64(2), None);
        assert_eq!(U256::MAX.mul_div_u64(4, 4), Some(U256::MAX));
        assert_eq!(U256::MAX.mul_div_u64(4, 2), None);
        assert_eq!(U256::ONE.mul_div_u64(1, 0), None);
        let bytes: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(U256::from_le_bytes(&bytes).to_le_bytes(), bytes);
        assert_eq!(format!("{}", u(255)), "0xff");
    }

    proptest! {
        #[test]
        fn arithmetic_agrees_with_u128(a in any::<u128>(), b in 1u128.., m in any::<u64>()) {
            let (ua, ub) = (u(a), u(b));
            prop_assert_eq!(ua.div_rem(ub).unwrap(), (u(a / b), u(a % b)));
            prop_assert_eq!(ua.cmp(&ub), a.cmp(&b));
            let (s, c) = a.overflowing_add(b);
            prop_assert_eq!(ua.overflowing_add(ub).0, U256([s as u64, (s >> 64) as u64, c as u64, 0]));
            if a >= b { prop_assert_eq!(ua.checked_sub(ub), Some(u(a - b))); }
            let p = ua.checked_mul_u64(m).unwrap();
            prop_assert_eq!(p.div_rem(ub).unwrap().0, ua.mul_div_u64(m, 1).unwrap().div_rem(ub).unwrap().0);
            if let Ok(bd) = u64::try_from(b) {
                prop_assert_eq!(ua.mul_div_u64(m, bd).unwrap(), p.div_rem(u(bd as u128)).unwrap().0);
            }
        }

        #[test]
        fn compact_decodes_to_a_truncation(limbs in any::<[u64; 4]>(), shift in 0u32..256) {
            let v = U256(limbs) >> shift;
            let c = v.to_compact();
            if !v.is_zero() {
                let back = U256::from_compact(c).unwrap();
                prop_assert!(back <= v);
                // Only the top 24 (or 16 after the sign shift) bits are kept.
                prop_assert!(v.checked_sub(back).unwrap() < U256::ONE << v.bits().saturating_sub(15));
            }
        }
    }
}
