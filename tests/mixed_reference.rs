//! `mixedlm` (random intercept, REML and ML) against statsmodels MixedLM
//! (`tests/fixtures/mixed_statsmodels.json`) and lme4 (sleepstudy values in
//! `shared/validation/reference_values.json`, copied below), and the weighted profile
//! likelihood against a dense brute-force evaluation.

mod common;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::regression::{fit_random_intercept, MixedLm};

#[test]
fn mixedlm_equals_statsmodels_on_every_reference_case() {
    let text = std::fs::read_to_string(common::fixture("mixed_statsmodels.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let frame = read_csv(&format!("data/{}", case["data"].as_str().unwrap()));
        let fit = MixedLm::new(case["formula"].as_str().unwrap(), case["group"].as_str().unwrap())
            .reml(case["reml"].as_bool().unwrap())
            .fit(&frame)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(fit.n_obs as u64, case["nobs"].as_u64().unwrap());
        for (term, value) in case["coef"].as_object().unwrap() {
            let e = fit.coef(term).unwrap_or_else(|| panic!("{name}: no {term}"));
            assert_close(e.estimate, value.as_f64().unwrap(), 1e-5, &format!("{name} {term}"));
            // Standard errors follow lme4: sigma^2 (X'V^-1 X)^-1 at the estimated variance
            // components (equal to lme4 to 1e-6 on sleepstudy below; `se_gls` is that formula
            // evaluated densely at statsmodels' estimates). statsmodels' bse_fe inverts the joint
            // observed Hessian of (beta, variance parameters), whose cross terms move some
            // standard errors by up to 5% on the municipality panel: a definitional difference.
            assert_close(e.std_error, case["se_gls"][term].as_f64().unwrap(), 1e-5, &format!("{name} {term} se"));
            assert_close(e.std_error, case["se"][term].as_f64().unwrap(), 0.05, &format!("{name} {term} sm se"));
        }
        let vc = fit.variance_components;
        assert_close(vc.group, case["group_var"].as_f64().unwrap(), 1e-5, &format!("{name} group var"));
        assert_close(vc.residual, case["residual_var"].as_f64().unwrap(), 1e-5, &format!("{name} residual var"));
        assert_close(fit.loglik, case["loglik"].as_f64().unwrap(), 1e-8, &format!("{name} loglik"));
        let re = case["random_effects"].as_object().unwrap();
        for (label, blup) in fit.group_labels.iter().zip(&fit.random_effects) {
            let reference = re[label.as_str()].as_f64().unwrap();
            assert!(
                (blup - reference).abs() <= 1e-5 * (1.0 + reference.abs()),
                "{name} BLUP {label}: {blup} vs {reference}"
            );
        }
    }
}

#[test]
fn mixedlm_equals_lme4_on_sleepstudy() {
    // lme4 1.1-31 (R 4.2.2), from shared/validation/reference_values.json R_reference.
    let frame = read_csv("data/sleepstudy.csv");
    let reml = MixedLm::new("Reaction ~ Days", "Subject").fit(&frame).unwrap();
    assert_close(reml.coef("Intercept").unwrap().std_error, 9.74671626920939, 1e-6, "REML se intercept");
    assert_close(reml.coef("Days").unwrap().std_error, 0.8042214289452402, 1e-6, "REML se Days");
    assert_close(reml.variance_components.group, 1378.178513809047, 1e-6, "REML group var");
    assert_close(reml.variance_components.residual, 960.4565785604668, 1e-6, "REML residual var");
    assert_close(reml.loglik, -893.2325426974605, 1e-10, "REML loglik");
    let ml = MixedLm::new("Reaction ~ Days", "Subject").reml(false).fit(&frame).unwrap();
    assert_close(ml.variance_components.group, 1296.8700454921075, 1e-6, "ML group var");
    assert_close(ml.variance_components.residual, 954.5278342201389, 1e-6, "ML residual var");
    assert_close(ml.loglik, -897.0393215026129, 1e-10, "ML loglik");
    assert_close(ml.coef("Days").unwrap().std_error, 0.801735421659495, 1e-6, "ML se Days");
}

/// Dense -2 log-likelihood of the weighted random-intercept model at given parameters.
fn dense_m2ll(x: &[f64], n: usize, k: usize, y: &[f64], g: &[u32], w: &[f64], beta: &[f64], s2u: f64, s2: f64) -> f64 {
    let ng = *g.iter().max().unwrap() as usize + 1;
    let mut total = 0.0;
    for grp in 0..ng {
        let idx: Vec<usize> = (0..n).filter(|&i| g[i] as usize == grp).collect();
        let m = idx.len();
        // V = s2 W^-1 + s2u 11'; use Sherman-Morrison explicitly via a small dense solve.
        let mut v = vec![vec![s2u; m]; m];
        for a in 0..m {
            v[a][a] += s2 / w[idx[a]];
        }
        let r: Vec<f64> = idx.iter().map(|&i| y[i] - (0..k).map(|j| x[j * n + i] * beta[j]).sum::<f64>()).collect();
        // Gaussian elimination for log det and r'V^-1 r.
        let mut a = v.clone();
        let mut b = r.clone();
        let mut logdet = 0.0;
        for c in 0..m {
            let piv = a[c][c];
            logdet += piv.ln();
            for rr in c + 1..m {
                let f = a[rr][c] / piv;
                for cc in c..m {
                    a[rr][cc] -= f * a[c][cc];
                }
                b[rr] -= f * b[c];
            }
        }
        let mut sol = vec![0.0; m];
        for c in (0..m).rev() {
            sol[c] = (b[c] - (c + 1..m).map(|cc| a[c][cc] * sol[cc]).sum::<f64>()) / a[c][c];
        }
        let quad: f64 = r.iter().zip(&sol).map(|(p, q)| p * q).sum();
        total += logdet + quad + m as f64 * (2.0 * std::f64::consts::PI).ln();
    }
    total
}

#[test]
fn weighted_ml_fit_maximises_the_dense_likelihood() {
    // Deterministic unbalanced data with weights.
    let n = 60;
    let k = 2;
    let groups: Vec<u32> = (0..n).map(|i| (i * 7 % 9) as u32).collect();
    let xv: Vec<f64> = (0..n).map(|i| ((i * 37 % 17) as f64) / 4.0).collect();
    let w: Vec<f64> = (0..n).map(|i| 0.5 + ((i * 13 % 11) as f64) / 5.0).collect();
    let u = [0.8, -0.3, 0.1, 1.2, -1.0, 0.4, -0.6, 0.0, 0.5];
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.5 * xv[i] + u[groups[i] as usize] + (((i * 31 % 23) as f64) / 23.0 - 0.5) / w[i].sqrt())
        .collect();
    let mut x = vec![1.0; n * k];
    x[n..].copy_from_slice(&xv);
    let fit = fit_random_intercept(&x, n, k, &y, &groups, 9, Some(&w), false).unwrap();
    let vc = fit.variance_components;
    let at = |beta: &[f64], s2u: f64, s2: f64| dense_m2ll(&x, n, k, &y, &groups, &w, beta, s2u, s2);
    let best = at(&fit.beta, vc.group, vc.residual);
    assert_close(-0.5 * best, fit.loglik, 1e-10, "profile loglik equals dense loglik");
    for (db, du, de) in
        [(0.01, 0.0, 0.0), (-0.01, 0.0, 0.0), (0.0, 0.02, 0.0), (0.0, -0.02, 0.0), (0.0, 0.0, 0.02), (0.0, 0.0, -0.02)]
    {
        let beta = [fit.beta[0] + db, fit.beta[1]];
        assert!(at(&beta, vc.group * (1.0 + du), vc.residual * (1.0 + de)) > best, "not a maximum");
    }
}
