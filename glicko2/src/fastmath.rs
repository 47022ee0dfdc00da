//! Inlined, branch-free exp and ln for the algorithm's hot loops, and a branch-free
//! select. The platform's functions cost a call, an errno wrapper and a long serial
//! dependency; these are within a few ulp of them (tested below).

/// How the hot paths' arithmetic is compiled: the same source serves the build's own
/// target ([`Portable`]) and, chosen at run time, AVX2 with FMA ([`Fused`], see `dispatch`).
pub(crate) trait Arith {
    /// Whether a vector loop's table lookups become hardware gathers, so that the
    /// table-driven exp beats the table-free one there.
    const GATHERS: bool;

    /// `a * b + c`: one instruction and one rounding where FMA is available; elsewhere two,
    /// since a software fused multiply-add would be a slow library call.
    fn mul_add(a: f64, b: f64, c: f64) -> f64;
}

/// Arithmetic for the target the crate is built for.
#[derive(Debug)]
pub(crate) enum Portable {}

impl Arith for Portable {
    const GATHERS: bool = cfg!(target_feature = "avx2");

    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        #[cfg(target_feature = "fma")]
        {
            a.mul_add(b, c)
        }
        #[cfg(not(target_feature = "fma"))]
        {
            a * b + c
        }
    }
}

/// Arithmetic inside code compiled for AVX2 and FMA (only ever called from there).
#[derive(Debug)]
#[cfg_attr(
    any(
        not(target_arch = "x86_64"),
        all(target_feature = "avx2", target_feature = "fma")
    ),
    allow(
        dead_code,
        reason = "builds that need no AVX2+FMA copies use it in tests only"
    )
)]
pub(crate) enum Fused {}

impl Arith for Fused {
    const GATHERS: bool = true;

    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

/// `if condition { when_true } else { when_false }` as bit masks, so that the compiler
/// emits no branch: the lockstep lanes' conditions are data-dependent and unpredictable.
#[inline(always)]
pub(crate) fn select(condition: bool, when_true: f64, when_false: f64) -> f64 {
    let mask = u64::from(condition).wrapping_neg();
    f64::from_bits((when_true.to_bits() & mask) | (when_false.to_bits() & !mask))
}

/// For ln: 1 / c_j and ln(c_j) with c_j = 1 + (j + 1/2) / 32, the centre of the j-th
/// 32nd of [1, 2); for j >= 16 the second value is ln(c_j / 2), so that results near 1
/// from below do not cancel. Each value correctly rounded.
const LN_TABLE: [(f64, f64); 32] = [
    (0.9846153846153847, 0.015504186535965254),
    (0.9552238805970149, 0.0458095360312942),
    (0.927536231884058, 0.07522342123758753),
    (0.9014084507042254, 0.10379679368164356),
    (0.8767123287671232, 0.13157635778871926),
    (0.8533333333333334, 0.15860503017663857),
    (0.8311688311688312, 0.184922338494012),
    (0.810126582278481, 0.21056476910734964),
    (0.7901234567901234, 0.2355660713127669),
    (0.7710843373493976, 0.25995752443692605),
    (0.7529411764705882, 0.2837681731306446),
    (0.735632183908046, 0.3070250352949119),
    (0.7191011235955056, 0.329753286372468),
    (0.7032967032967034, 0.3519764231571782),
    (0.6881720430107527, 0.37371640979358406),
    (0.6736842105263158, 0.394993808240869),
    (0.6597938144329897, -0.27731928541623435),
    (0.6464646464646465, -0.2569104137850272),
    (0.6336633663366337, -0.2369097470783577),
    (0.6213592233009708, -0.2173012756899814),
    (0.6095238095238096, -0.1980699137620938),
    (0.5981308411214953, -0.179201429457711),
    (0.5871559633027523, -0.16068238169047347),
    (0.5765765765765766, -0.14250006260728304),
    (0.5663716814159292, -0.1246424452072766),
    (0.5565217391304348, -0.1070981355563671),
    (0.5470085470085471, -0.08985632912186105),
    (0.5378151260504201, -0.07290677080808779),
    (0.5289256198347108, -0.05623971832287608),
    (0.5203252032520326, -0.039845908547199674),
    (0.512, -0.023716526617316044),
    (0.5039370078740157, -0.007843177461025893),
];

/// ln(x) for the two logarithms of step 5 (ln sigma^2 and ln(Delta^2 - phi^2 - v)),
/// inlined: x = 2^m y with y in [0.75, 1.5), y = c_j (1 + r) with |r| < 1/64, and
/// ln(1 + r) by its degree-9 Taylor polynomial (truncation below 1e-19). The error is
/// within a few ulp of `f64::ln` (checked in the tests below); zero, subnormal, negative
/// and non-finite inputs take `f64::ln`.
#[inline(always)]
pub(crate) fn ln<A: Arith>(x: f64) -> f64 {
    // ln(2) split so that m * LN2_HI is exact for every exponent m.
    const LN2_HI: f64 = 0.693147180559663;
    const LN2_LO: f64 = 2.8235290563031577e-13;
    const MANTISSA: u64 = (1 << 52) - 1;
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&x) {
        return x.ln();
    }
    let bits = x.to_bits();
    let j = ((bits >> 47) & 31) as usize;
    // y in [1.5, 2) counts as y / 2 in [0.75, 1) (one more power of two).
    let m = f64::from(((bits >> 52) as i32) - 1023 + (j >> 4) as i32);
    let y = f64::from_bits((bits & MANTISSA) | 1.0_f64.to_bits());
    let (inv_c, ln_c) = LN_TABLE[j];
    let c = 1.0 + (j as f64 + 0.5) / 32.0;
    // y - c is exact (Sterbenz); r carries one rounding.
    let r = (y - c) * inv_c;
    let r2 = r * r;
    let r4 = r2 * r2;
    let tail = A::mul_add(
        r2,
        A::mul_add(r, 1.0 / 9.0, -1.0 / 8.0),
        A::mul_add(r, 1.0 / 7.0, -1.0 / 6.0),
    );
    let middle = A::mul_add(
        r2,
        A::mul_add(r, 0.2, -0.25),
        A::mul_add(r, 1.0 / 3.0, -0.5),
    );
    let ln1p = A::mul_add(r2, A::mul_add(r4, tail, middle), r);
    A::mul_add(m, LN2_HI, ln_c) + A::mul_add(m, LN2_LO, ln1p)
}

/// e^x without a table, for loops the compiler should vectorise (a table lookup would
/// be a gather): x = k ln 2 + r with |r| <= ln(2)/2, e^r by its degree-13 Taylor
/// polynomial (truncation below 5e-18) in Estrin form, 2^k built in the exponent bits.
/// Inputs are clamped to [-708, 708]; results are within a few ulp of `f64::exp`.
#[inline(always)]
pub(crate) fn exp_vectorisable<A: Arith>(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let x = x.clamp(-708.0, 708.0);
    let shifted = A::mul_add(x, core::f64::consts::LOG2_E, SHIFTER);
    let k = shifted - SHIFTER;
    let r = A::mul_add(-k, LN2_LO, A::mul_add(-k, LN2_HI, x));
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let pair = |i: usize| A::mul_add(r, C[i + 1], C[i]);
    let low = A::mul_add(
        r4,
        A::mul_add(r2, pair(6), pair(4)),
        A::mul_add(r2, pair(2), pair(0)),
    );
    let high = A::mul_add(r4, pair(12), A::mul_add(r2, pair(10), pair(8)));
    let poly = A::mul_add(r8, high, low);
    // 2^k: k + 1023 in the exponent field (k is within [-1022, 1022] here).
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    poly * f64::from_bits(k_bits.wrapping_add(1023) << 52)
}

/// The exp for loops over independent lanes that should vectorise: where lookups gather
/// (AVX2) the table-driven [`exp_in_range`], otherwise the table-free [`exp_vectorisable`],
/// which SSE2 vectorises whole. Callers pass arguments within
/// [-708, 708] (the game terms' are, for ratings within bounds).
#[inline(always)]
pub(crate) fn exp_for_vector_loops<A: Arith>(x: f64) -> f64 {
    if A::GATHERS {
        exp_in_range::<A>(x)
    } else {
        exp_vectorisable::<A>(x)
    }
}

/// 2^(j/32) for j in 0..32, correctly rounded.
const EXP2_TABLE: [f64; 32] = [
    1.0,
    1.021_897_148_654_116_6,
    1.044_273_782_427_413_8,
    1.067_140_400_676_823_7,
    1.090_507_732_665_257_7,
    1.114_386_742_595_892_4,
    1.138_788_634_756_691_6,
    1.163_724_858_777_577_5,
    1.189_207_115_002_721,
    1.215_247_359_980_469,
    1.241_857_812_073_484,
    1.269_050_957_191_733_2,
    1.296_839_554_651_009_6,
    1.325_236_643_159_741_3,
    1.354_255_546_936_892_7,
    1.383_909_881_963_832,
    core::f64::consts::SQRT_2,
    1.445_180_806_977_046_7,
    1.476_826_145_939_499_3,
    1.509_164_427_593_422_8,
    1.542_210_825_407_940_7,
    1.575_980_845_107_886_5,
    1.610_490_331_949_254_3,
    1.645_755_478_153_965,
    1.681_792_830_507_429,
    1.718_619_298_122_478,
    1.756_252_160_373_299_5,
    1.794_709_075_003_107_2,
    1.834_008_086_409_342_4,
    1.874_167_634_110_3,
    1.915_206_561_397_147_4,
    1.957_144_124_175_400_2,
];

/// e^x, inlined and branch-free: the algorithm's hot loops call it millions of times, and
/// the platform's `exp` costs a call, an errno wrapper and a serial dependency.
///
/// x = (32 m + j) ln(2)/32 + r with |r| <= ln(2)/64; e^r by its degree-6 Taylor polynomial
/// (truncation below 4e-18) in Estrin form for a short dependency chain; 2^(j/32) from a
/// table and 2^m added to its exponent. Inputs are clamped to [-708, 708], where e^x is a
/// normal number; within that range results are within a few ulp of `f64::exp` (checked in
/// the tests below).
#[inline(always)]
pub(crate) fn exp<A: Arith>(x: f64) -> f64 {
    exp_in_range::<A>(x.clamp(-708.0, 708.0))
}

/// [`exp`] without the clamp, for arguments known to lie within [-708, 708]; outside that
/// range the result is meaningless (but never undefined behaviour).
#[inline(always)]
pub(crate) fn exp_in_range<A: Arith>(x: f64) -> f64 {
    const N_OVER_LN2: f64 = 46.166_241_308_446_83;
    // ln(2)/32 split so that k * LN2_N_HI is exact for every k in range.
    const LN2_N_HI: f64 = 0.021_660_849_390_173_098;
    const LN2_N_LO: f64 = 2.325_192_846_878_874e-12;
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let shifted = A::mul_add(x, N_OVER_LN2, SHIFTER);
    let k = shifted - SHIFTER;
    let r = A::mul_add(-k, LN2_N_LO, A::mul_add(-k, LN2_N_HI, x));
    // k as a two's complement integer: j = k mod 32, m = floor(k / 32).
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let j = (k_bits & 31) as usize;
    let m_shifted = ((k_bits as i64) >> 5) << 52;
    let scale = f64::from_bits(EXP2_TABLE[j].to_bits().wrapping_add(m_shifted as u64));
    // (1 + r) + r^2 (1/2 + r/6) + r^4 (1/24 + r/120 + r^2/720): depth three products.
    let r2 = r * r;
    let r4 = r2 * r2;
    let high = A::mul_add(r2, 1.0 / 720.0, A::mul_add(r, 1.0 / 120.0, 1.0 / 24.0));
    let poly = A::mul_add(
        r4,
        high,
        A::mul_add(r2, A::mul_add(r, 1.0 / 6.0, 0.5), 1.0 + r),
    );
    scale * poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_exp_and_ln_match_std_within_a_few_ulp() {
        let mut worst = 0.0_f64;
        for i in 0..=20_000 {
            let x = -700.0 + 1400.0 * f64::from(i) / 20_000.0;
            let expected = x.exp();
            worst = worst.max(((exp::<Fused>(x) - expected) / expected).abs());
            worst = worst.max(((exp_vectorisable::<Fused>(x) - expected) / expected).abs());
            let value = 1e-300 * 1.0372_f64.powi(i);
            let expected_ln = value.ln();
            worst =
                worst.max((ln::<Fused>(value) - expected_ln).abs() / expected_ln.abs().max(1e-2));
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst relative error {worst:e}");
    }

    #[test]
    fn exp_matches_std_within_a_few_ulp() {
        let mut worst = 0.0_f64;
        let n = 200_000;
        for i in 0..=n {
            let x = -700.0 + 1400.0 * f64::from(i) / f64::from(n);
            let expected = x.exp();
            let relative = ((exp::<Portable>(x) - expected) / expected).abs();
            worst = worst.max(relative);
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst relative error {worst:e}");
    }

    #[test]
    fn ln_matches_std_within_a_few_ulp() {
        let mut worst = 0.0_f64;
        let mut x = 1e-300_f64;
        while x < 1e300 {
            for factor in [1.0, 1.000_001, 1.3, 1.5, 1.7, 1.999_999] {
                let value = x * factor;
                let expected = value.ln();
                let error = (ln::<Portable>(value) - expected).abs() / expected.abs().max(1e-2);
                worst = worst.max(error);
            }
            x *= 3.7;
        }
        for i in 1..100_000 {
            let value = 0.5 + f64::from(i) * 1e-5;
            let expected = value.ln();
            worst = worst.max((ln::<Portable>(value) - expected).abs() / expected.abs().max(1e-2));
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst error {worst:e}");
        assert!(
            ln::<Portable>(0.0).is_infinite()
                && ln::<Portable>(-1.0).is_nan()
                && ln::<Portable>(5e-324) < -700.0
        );
    }

    #[test]
    fn vectorisable_exp_matches_std_within_a_few_ulp() {
        let mut worst = 0.0_f64;
        let n = 200_000;
        for i in 0..=n {
            let x = -700.0 + 1400.0 * f64::from(i) / f64::from(n);
            let expected = x.exp();
            worst = worst.max(((exp_vectorisable::<Portable>(x) - expected) / expected).abs());
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst relative error {worst:e}");
        assert!(
            exp_vectorisable::<Portable>(1e9).is_finite()
                && exp_vectorisable::<Portable>(-1e9) > 0.0
        );
    }

    #[test]
    fn exp_is_exact_at_zero_and_saturates_without_overflow() {
        assert!((exp::<Portable>(0.0) - 1.0).abs() < f64::EPSILON);
        assert!(exp::<Portable>(1e9).is_finite());
        assert!(exp::<Portable>(-1e9) > 0.0);
        assert!(exp::<Portable>(f64::NEG_INFINITY) > 0.0);
    }
}
