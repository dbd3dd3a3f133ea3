//! The wild cluster bootstrap at its edges (issue 16, items 5, 6 and 10): intervals that are
//! unbounded are reported as such, test inversion is scale-invariant, ties in enumerated
//! distributions do not depend on rounding, and draws that would not fit in memory are refused
//! before anything is allocated.

mod common;

use virkning::data::Factor;
use virkning::inference::{wild_bootstrap, BootType, BootWeights, Hypothesis, WildBoot};

/// A clustered design: intercept and x (column-major), y = 1 + 0.9 x + noise, `g` clusters.
fn design(g: usize, per: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Factor) {
    let n = g * per;
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut unif = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
    };
    let shock: Vec<f64> = (0..g).map(|_| unif()).collect();
    let mut x = vec![1.0; 2 * n];
    let mut y = vec![0.0; n];
    for i in 0..n {
        let c = i / per;
        x[n + i] = unif() + shock[c];
        y[i] = 1.0 + 0.9 * x[n + i] + unif() + 0.5 * shock[c];
    }
    let codes = (0..n).map(|i| (i / per) as u32).collect();
    let labels = (0..g).map(|c| c.to_string()).collect();
    (x, y, Factor { codes, labels })
}

fn run(x: &[f64], y: &[f64], f: &Factor, boot: WildBoot, r: f64) -> virkning::inference::WildBootResult {
    let prob = common::one_way_problem(x, y, f);
    let hyp = Hypothesis { label: "x".into(), r_vec: vec![0.0, 1.0], r };
    wild_bootstrap(&prob, &hyp, &boot.validate().unwrap()).unwrap()
}

#[test]
fn three_clusters_give_an_unbounded_interval_with_a_warning() {
    let (x, y, f) = design(3, 40, 1);
    for bt in [BootType::Standard, BootType::Jackknife] {
        let res = run(&x, &y, &f, WildBoot::default().bootstrap_type(bt), 0.0);
        assert!(res.enumerated && res.reps == 8);
        let (lo, hi) = res.conf_int.unwrap();
        if bt == BootType::Standard {
            // The identity draw and its mirror always tie: p >= 2/8 everywhere, so no end.
            assert!(res.p_value >= 0.25, "{}", res.p_value);
            assert_eq!((lo, hi), (f64::NEG_INFINITY, f64::INFINITY));
        }
        if lo.is_infinite() || hi.is_infinite() {
            let w = res.warnings.iter().find(|w| w.code == "unbounded_interval").expect("a warning");
            assert!(w.message.contains("unbounded") && w.message.contains("0.05"), "{}", w.message);
        } else {
            assert!(res.warnings.is_empty());
        }
    }
}

#[test]
fn bounded_intervals_carry_no_warning() {
    let (x, y, f) = design(30, 20, 2);
    let res = run(&x, &y, &f, WildBoot::default().reps(999).seed(3), 0.0);
    let (lo, hi) = res.conf_int.unwrap();
    assert!(lo.is_finite() && hi.is_finite() && lo < res.estimate && res.estimate < hi);
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
}

#[test]
fn test_inversion_is_scale_invariant_from_1e_minus_10_to_1e300() {
    let (x, y, f) = design(12, 25, 4);
    let n = y.len();
    for (bt, imp) in [
        (BootType::Standard, true),
        (BootType::Standard, false),
        (BootType::Jackknife, true),
        (BootType::Jackknife, false),
    ] {
        let boot = WildBoot::default().reps(499).seed(5).bootstrap_type(bt).impose_null(imp);
        let base = run(&x, &y, &f, boot.clone(), 0.3);
        let (lo0, hi0) = base.conf_int.unwrap();
        for s in [1e-10, 1e10, 1e100, 1e300] {
            // The regressor scaled by s (its coefficient by 1/s), and separately the outcome.
            let mut xs = x.clone();
            xs[n..].iter_mut().for_each(|v| *v *= s);
            let res = run(&xs, &y, &f, boot.clone(), 0.3 / s);
            let (lo, hi) = res.conf_int.unwrap();
            let tag = format!("{bt:?} impose_null={imp} x*{s:e}");
            assert_eq!(res.p_value, base.p_value, "{tag}");
            assert!((res.statistic / base.statistic - 1.0).abs() < 1e-9, "{tag}");
            assert!((lo * s / lo0 - 1.0).abs() < 1e-9 && (hi * s / hi0 - 1.0).abs() < 1e-9, "{tag}: [{lo}, {hi}]");
            if s < 1e200 {
                let ys: Vec<f64> = y.iter().map(|v| v * s).collect();
                let res = run(&x, &ys, &f, boot.clone(), 0.3 * s);
                let (lo, hi) = res.conf_int.unwrap();
                assert_eq!(res.p_value, base.p_value, "{bt:?} y*{s:e}");
                assert!((lo / s / lo0 - 1.0).abs() < 1e-9 && (hi / s / hi0 - 1.0).abs() < 1e-9, "y*{s:e}");
            }
        }
    }
}

#[test]
fn enumerated_p_values_do_not_depend_on_rounding() {
    // 8 clusters: 256 sign vectors, among them the identity and its mirror, which tie with the
    // sample up to rounding. Perturbations of the outcome at 1e-13 relative (and an outcome
    // far from zero, where the scores cancel) must give the same p-values at every r.
    let (x, y, f) = design(8, 15, 6);
    for offset in [0.0, 1e4] {
        for r in [0.0, 0.5, 0.9, 1.3] {
            let shifted: Vec<f64> = y.iter().map(|v| v + offset).collect();
            let base = run(&x, &shifted, &f, WildBoot::default(), r);
            assert!(base.enumerated && base.reps == 256);
            assert!(base.p_value >= 2.0 / 256.0, "the identity draw and its mirror count");
            for k in 1..=6u64 {
                let noisy: Vec<f64> = shifted
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * (1.0 + 1e-13 * (((i as u64 * 7919 + k * 104729) % 201) as f64 - 100.0) / 100.0))
                    .collect();
                let res = run(&x, &noisy, &f, WildBoot::default(), r);
                assert_eq!(res.p_value, base.p_value, "offset {offset}, r {r}, perturbation {k}");
            }
        }
    }
}

#[test]
fn draws_beyond_the_memory_limit_are_refused_up_front() {
    let (x, y, f) = design(50, 4, 7);
    let prob = common::one_way_problem(&x, &y, &f);
    let hyp = Hypothesis { label: "x".into(), r_vec: vec![0.0, 1.0], r: 0.0 };
    let boot = WildBoot::default().reps(usize::MAX / 64).weights(BootWeights::Webb).validate().unwrap();
    let e = wild_bootstrap(&prob, &hyp, &boot).unwrap_err().to_string();
    assert!(e.contains("`reps`") && e.contains("VIRKNING_MEMORY_LIMIT") && e.contains("would need"), "{e}");
}
