//! Property-based tests (proptest) of the boundary invariants of issue 16: the formula grammar
//! treats a repeated factor as one factor (as fixest), weights are scale-free in `feols` (and in
//! the `glm` estimates, whose prior weights scale the information), row order never changes a
//! fit, and `feols` equals least squares solved directly.
//!
//! `PROPTEST_CASES` sets the number of cases (default 32 here; the slow profile runs 1,000:
//! `PROPTEST_CASES=1000 cargo test --release --test properties`).

use std::borrow::Cow;

use proptest::prelude::*;
use virkning::data::{Column, Frame};
use virkning::inference::VcovType;
use virkning::regression::{Family, Feols, Formula, FormulaFactor as Factor, Glm, Vcov};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A small data set: outcome, two regressors, weights, a fixed effect and clusters.
#[derive(Debug, Clone)]
struct Data {
    y: Vec<f64>,
    x1: Vec<f64>,
    x2: Vec<f64>,
    w: Vec<f64>,
    fe: Vec<i64>,
    cl: Vec<i64>,
}

fn data() -> impl Strategy<Value = Data> {
    (12usize..60).prop_flat_map(|n| {
        (
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(0.05f64..20.0, n),
            prop::collection::vec(0i64..4, n),
        )
            .prop_map(move |(e, x1, x2, w, fe)| {
                let y = (0..n).map(|i| 1.0 + 0.5 * x1[i] - 2.0 * x2[i] + fe[i] as f64 + e[i]).collect();
                let cl = (0..n as i64).map(|i| i % 5).collect();
                Data { y, x1, x2, w, fe, cl }
            })
    })
}

impl Data {
    /// A second noise draw derived from the data (for count outcomes).
    fn e_noise(&self) -> Vec<f64> {
        self.x2.iter().zip(&self.w).map(|(x, w)| 0.3 * (x * w).sin()).collect()
    }
}

fn frame(d: &Data, w_scale: f64, order: &[usize]) -> Frame<'static> {
    let pick = |v: &[f64]| Column::Float(Cow::Owned(order.iter().map(|&i| v[i]).collect()));
    let pick_i = |v: &[i64]| Column::Int(Cow::Owned(order.iter().map(|&i| v[i]).collect()));
    let w: Vec<f64> = d.w.iter().map(|w| w * w_scale).collect();
    Frame::new()
        .with_column("y", pick(&d.y))
        .and_then(|f| f.with_column("x1", pick(&d.x1)))
        .and_then(|f| f.with_column("x2", pick(&d.x2)))
        .and_then(|f| f.with_column("w", pick(&w)))
        .and_then(|f| f.with_column("fe", pick_i(&d.fe)))
        .and_then(|f| f.with_column("cl", pick_i(&d.cl)))
        .unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300) || (a.is_nan() && b.is_nan())
}

/// Weighted least squares through the normal equations, solved by Gaussian elimination with
/// partial pivoting: an independent check of the fitted coefficients.
fn wls(cols: &[Vec<f64>], y: &[f64], w: &[f64]) -> Vec<f64> {
    let k = cols.len();
    let mut a = vec![vec![0.0; k + 1]; k];
    for r in 0..k {
        for c in 0..k {
            a[r][c] = (0..y.len()).map(|i| w[i] * cols[r][i] * cols[c][i]).sum();
        }
        a[r][k] = (0..y.len()).map(|i| w[i] * cols[r][i] * y[i]).sum();
    }
    for p in 0..k {
        let piv = (p..k).max_by(|&i, &j| a[i][p].abs().total_cmp(&a[j][p].abs())).unwrap();
        a.swap(p, piv);
        for r in 0..k {
            if r != p {
                let f = a[r][p] / a[p][p];
                for c in p..=k {
                    a[r][c] -= f * a[p][c];
                }
            }
        }
    }
    (0..k).map(|r| a[r][k] / a[r][r]).collect()
}

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

proptest! {
    #![proptest_config(config())]

    /// `t1:t2:...` with repeats has each factor once, in order of first appearance; `*` too.
    #[test]
    fn repeated_factors_count_once(idx in prop::collection::vec(0usize..4, 1..6), star in any::<bool>()) {
        let sep = if star { "*" } else { ":" };
        let text = format!("y ~ {}", idx.iter().map(|&i| NAMES[i]).collect::<Vec<_>>().join(sep));
        let f = Formula::parse(&text).unwrap();
        let mut distinct: Vec<&str> = Vec::new();
        for &i in &idx {
            if !distinct.contains(&NAMES[i]) {
                distinct.push(NAMES[i]);
            }
        }
        for t in &f.terms {
            let mut seen = Vec::new();
            for fac in &t.factors {
                prop_assert!(!seen.contains(fac), "{text}: repeated factor in {:?}", t.factors);
                seen.push(fac.clone());
            }
        }
        let full: Vec<Factor> = distinct.iter().map(|n| Factor::Var((*n).into())).collect();
        prop_assert!(f.terms.iter().any(|t| t.factors.len() == full.len()
            && full.iter().all(|x| t.factors.contains(x))), "{text}: no full interaction in {:?}", f.terms);
        // No two terms are the same interaction.
        for (i, a) in f.terms.iter().enumerate() {
            for b in &f.terms[i + 1..] {
                prop_assert!(!(a.factors.len() == b.factors.len() && a.factors.iter().all(|x| b.factors.contains(x))));
            }
        }
        if !star {
            prop_assert_eq!(f.terms.len(), 1);
        } else {
            prop_assert_eq!(f.terms.len(), (1usize << distinct.len()) - 1);
        }
    }

    /// Weights times any positive constant (1e-200 .. 1e200) give the same feols fit.
    #[test]
    fn feols_weights_are_scale_free(d in data(), e in -200i32..=200, vcov in 0usize..3) {
        let order: Vec<usize> = (0..d.y.len()).collect();
        let v = [Vcov::new(VcovType::Iid), Vcov::new(VcovType::Hc1),
                 Vcov { kind: VcovType::Cr1, cluster: vec!["cl".into()] }][vcov].clone();
        let fit = |s: f64| Feols::new("y ~ x1 + x2 | fe").weights("w").vcov(v.clone()).fit(&frame(&d, s, &order));
        let (base, scaled) = (fit(1.0).unwrap(), fit(10f64.powi(e)).unwrap());
        for (a, b) in base.coefficients.iter().zip(&scaled.coefficients) {
            prop_assert!(close(a.estimate, b.estimate, 1e-9), "1e{e}: {} vs {}", a.estimate, b.estimate);
            prop_assert!(close(a.std_error, b.std_error, 1e-8), "1e{e}: se {} vs {}", a.std_error, b.std_error);
            prop_assert!(b.std_error > 0.0 && b.std_error.is_finite());
        }
    }

    /// Shuffled rows give the same fit (coefficients and clustered standard errors).
    #[test]
    fn feols_ignores_row_order(d in data(), seed in any::<u64>()) {
        let n = d.y.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let id: Vec<usize> = (0..n).collect();
        let v = Vcov { kind: VcovType::Cr1, cluster: vec!["cl".into()] };
        let a = Feols::new("y ~ x1 + x2 | fe").weights("w").vcov(v.clone()).fit(&frame(&d, 1.0, &id)).unwrap();
        let b = Feols::new("y ~ x1 + x2 | fe").weights("w").vcov(v).fit(&frame(&d, 1.0, &order)).unwrap();
        for (x, y) in a.coefficients.iter().zip(&b.coefficients) {
            prop_assert!(close(x.estimate, y.estimate, 1e-9));
            prop_assert!(close(x.std_error, y.std_error, 1e-8));
        }
    }

    /// feols with a fixed effect equals weighted least squares on explicit dummies.
    #[test]
    fn feols_equals_direct_least_squares(d in data(), w_scale in prop::sample::select(vec![1e-150, 1.0, 1e150])) {
        let n = d.y.len();
        let order: Vec<usize> = (0..n).collect();
        let mut levels: Vec<i64> = d.fe.clone();
        levels.sort_unstable();
        levels.dedup();
        let mut cols = vec![d.x1.clone(), d.x2.clone()];
        for l in &levels {
            cols.push(d.fe.iter().map(|f| f64::from(u8::from(f == l))).collect());
        }
        let fit = Feols::new("y ~ x1 + x2 | fe").weights("w").drop_singletons(false).fit(&frame(&d, w_scale, &order));
        let fit = match fit { Ok(f) => f, Err(_) => return Ok(()) };
        prop_assume!(fit.collinear.is_empty());
        let beta = wls(&cols, &d.y, &d.w);
        prop_assert!(close(fit.coef("x1").unwrap().estimate, beta[0], 1e-7), "x1 {} vs {}", fit.coef("x1").unwrap().estimate, beta[0]);
        prop_assert!(close(fit.coef("x2").unwrap().estimate, beta[1], 1e-7));
    }

    /// Poisson prior weights times c: the same estimates, standard errors times 1/sqrt(c).
    #[test]
    fn glm_weights_scale_only_the_information(d in data(), e in -200i32..=200) {
        let order: Vec<usize> = (0..d.y.len()).collect();
        let counts: Vec<f64> = d.x1.iter().zip(&d.e_noise()).map(|(x, u)| (0.2 + 0.1 * x + u).exp().round()).collect();
        let with_counts = |s: f64| {
            let f = frame(&d, s, &order);
            f.with_column("n", Column::Float(Cow::Owned(counts.clone()))).unwrap()
        };
        let fit = |s: f64| Glm::new("n ~ x1 + x2", Family::Poisson).weights("w").fit(&with_counts(s));
        let c = 10f64.powi(e);
        let (Ok(base), Ok(scaled)) = (fit(1.0), fit(c)) else { return Ok(()) };
        for (a, b) in base.coefficients.iter().zip(&scaled.coefficients) {
            prop_assert!(close(a.estimate, b.estimate, 1e-8), "1e{e}: {} vs {}", a.estimate, b.estimate);
            prop_assert!(close(a.std_error, b.std_error * c.sqrt(), 1e-7), "1e{e}: se {} vs {}", a.std_error, b.std_error);
        }
    }
}
