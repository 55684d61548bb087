//! `ln`, `exp` and `cos` from IEEE-exact operations only, so a run's samples (and its
//! trace digest) are the same on every platform.
//!
//! `f64::ln`, `exp` and `cos` call the platform's libm, whose last-bit rounding differs
//! between implementations; `+ - * /` and `sqrt` are correctly rounded everywhere (and
//! Rust never contracts them into fused multiply-adds). Each function here reduces its
//! argument exactly (or with a split constant) and sums a fixed series, in a fixed
//! order: within a few ulps of libm, and bit-identical everywhere.

/// ln 2, split (fdlibm's `ln2_hi`, `ln2_lo`, as bit patterns): `LN2_HI` has its low
/// 32 bits zero, so `k * LN2_HI` is exact for |k| < 2^20.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// π/2 in three parts of 33 bits each (fdlibm's `pio2_1`, `pio2_2`, `pio2_3`), so
/// `n * PIO2_1`, `n * PIO2_2` and `n * PIO2_3` are exact for |n| < 2^20.
const PIO2_1: f64 = f64::from_bits(0x3ff9_21fb_5440_0000);
const PIO2_2: f64 = f64::from_bits(0x3dd0_b461_1a60_0000);
const PIO2_3: f64 = f64::from_bits(0x3ba3_198a_2e00_0000);

/// The natural logarithm (for positive finite `x`; NaN below 0, -inf at 0, as std).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m * 2^k with m in [sqrt(1/2), sqrt(2)).
    let (mut bits, mut k) = (x.to_bits(), 0i64);
    if bits >> 52 == 0 {
        // Subnormal: scale up by 2^54 (exact).
        bits = (x * 18_014_398_509_481_984.0).to_bits();
        k -= 54;
    }
    k += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5; // exact
        k += 1;
    }
    // ln(1 + f) = 2 atanh(s) = 2s + s R with s = f / (2 + f), |s| < 0.1716, and
    // R = 2s^2/3 + 2s^4/5 + ... (s^2 < 0.0295: twelve terms reach 2^-60). With
    // 2s = f - s f this is f - (f^2/2 - s (f^2/2 + R)), fdlibm's arrangement.
    let f = m - 1.0; // exact (Sterbenz)
    let s = f / (2.0 + f);
    let z = s * s;
    let mut r = 2.0 / 25.0;
    for d in [23.0, 21.0, 19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0] {
        r = 2.0 / d + z * r;
    }
    let r = z * r;
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    kf * LN2_HI - ((hfsq - (s * (hfsq + r) + kf * LN2_LO)) - f)
}

/// e^x (0 below -745.2, +inf above 709.8, as std).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_383_9 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // x = k ln2 + r, |r| <= ln2 / 2 (k * LN2_HI is exact, so r is accurate).
    let k = (x * std::f64::consts::LOG2_E).round();
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    // e^r = 1 + r (1 + r/2 (1 + r/3 (... (1 + r/16)))): Taylor to r^16 / 16!
    // (|r| < 0.347: the rest is below 2^-70).
    let mut p = 1.0 + r / 16.0;
    for d in (2..16).rev() {
        p = 1.0 + r * p / d as f64;
    }
    let y = 1.0 + r * p;
    scale2(y, k as i32)
}

/// `y * 2^k` for `y` in [0.5, 2] (two exact steps, so subnormal results round once).
fn scale2(y: f64, k: i32) -> f64 {
    let pow = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    if k > 1000 {
        y * pow(1000) * pow(k - 1000)
    } else if k < -1000 {
        // Multiply by 2^(k + 1000) first (normal), then by 2^-1000 (rounds once).
        y * pow(k + 1000) * pow(-1000)
    } else {
        y * pow(k)
    }
}

/// cos x, for |x| up to a few thousand (the simulator uses [0, 2π)).
pub fn cos(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    // x = n π/2 + r, |r| <= π/4, with a three-part π/2 (Cody-Waite).
    let n = (x * std::f64::consts::FRAC_2_PI).round();
    let r = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_3;
    match (n as i64).rem_euclid(4) {
        0 => cos_kernel(r),
        1 => -sin_kernel(r),
        2 => -cos_kernel(r),
        _ => sin_kernel(r),
    }
}

/// cos r for |r| <= π/4: Taylor to r^20 / 20! (the rest is below 2^-70).
fn cos_kernel(r: f64) -> f64 {
    let z = r * r;
    let mut p = 0.0;
    for k in (1..=10).rev() {
        // p = z / ((2k-1) 2k) * (1 - p) ... built from the inside out.
        let d = ((2 * k - 1) * (2 * k)) as f64;
        p = z / d * (1.0 - p);
    }
    1.0 - p
}

/// sin r for |r| <= π/4: Taylor to r^21 / 21!.
fn sin_kernel(r: f64) -> f64 {
    let z = r * r;
    let mut p = 0.0;
    for k in (1..=10).rev() {
        let d = ((2 * k) * (2 * k + 1)) as f64;
        p = z / d * (1.0 - p);
    }
    r - r * p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place (same sign assumed).
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64).abs_diff(b.to_bits() as i64)
    }

    /// Deterministic points spread over [lo, hi], plus the ends.
    fn points(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        (0..n).map(move |i| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            match i {
                0 => lo,
                1 => hi,
                _ => lo + (hi - lo) * u,
            }
        })
    }

    #[test]
    fn ln_is_within_two_ulps_of_std() {
        // Uniform samples 1 - u in [2^-53, 1], ratios mean / median, and beyond.
        let mut worst = 0;
        for x in points(1.0 / (1u64 << 53) as f64, 1.0, 200_000)
            .chain(points(1.0, 1e6, 100_000))
            .chain((-1074..1024).map(|e| 2f64.powi(e) * 1.3))
        {
            let d = ulps(ln(x), x.ln());
            worst = worst.max(d);
            assert!(d <= 2, "ln({x:e}) = {} vs std {}", ln(x), x.ln());
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(0.0) == f64::NEG_INFINITY && ln(-1.0).is_nan());
        eprintln!("ln: worst {worst} ulps");
    }

    #[test]
    fn exp_is_within_two_ulps_of_std() {
        let mut worst = 0;
        for x in points(-40.0, 40.0, 200_000).chain(points(-745.0, 709.7, 50_000)) {
            let d = ulps(exp(x), x.exp());
            worst = worst.max(d);
            assert!(d <= 2, "exp({x:e}) = {} vs std {}", exp(x), x.exp());
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(800.0).is_infinite() && exp(-800.0) == 0.0);
        eprintln!("exp: worst {worst} ulps");
    }

    #[test]
    fn cos_is_within_two_ulps_of_std_over_a_turn() {
        let tau = 2.0 * std::f64::consts::PI;
        let mut worst = 0;
        for x in points(0.0, tau, 300_000).chain(points(-20.0, 20.0, 50_000)) {
            let (a, b) = (cos(x), x.cos());
            // Near a zero of cos compare absolutely (both are tiny there).
            let d = if b.abs() < 1e-3 {
                u64::from((a - b).abs() > 1e-19)
            } else {
                ulps(a, b)
            };
            worst = worst.max(d);
            assert!(d <= 2, "cos({x:e}) = {a} vs std {b}");
        }
        assert_eq!(cos(0.0), 1.0);
        eprintln!("cos: worst {worst} ulps");
    }
}
