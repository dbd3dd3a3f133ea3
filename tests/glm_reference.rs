//! `glm` against statsmodels GLM (Binomial with proportions and with counts, Poisson, weighted
//! Gaussian; model-based, HC1 and cluster-robust variances) from the shared fixture
//! `tests/fixtures/glm_statsmodels.json`, plus separation and bad-input errors.

mod common;

use common::{assert_close, read_csv};
use ndarray::{array, Array2};
use serde_json::Value;
use virkning::inference::VcovType;
use virkning::regression::{fit_glm, Family, Glm, RegressionError, Vcov};

fn vcov_of(v: &Value) -> Vcov {
    match v {
        Value::String(s) => Vcov::new(s.parse::<VcovType>().unwrap()),
        Value::Object(m) => {
            let (k, col) = m.iter().next().unwrap();
            Vcov { kind: k.parse::<VcovType>().unwrap(), cluster: vec![col.as_str().unwrap().to_string()] }
        }
        _ => panic!("bad vcov {v}"),
    }
}

#[test]
fn glm_equals_statsmodels_on_every_reference_case() {
    let text = std::fs::read_to_string(common::fixture("glm_statsmodels.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let frame = read_csv(&format!("data/{}", case["data"].as_str().unwrap()));
        let family: Family = case["family"].as_str().unwrap().parse().unwrap();
        let mut p = Glm::new(case["formula"].as_str().unwrap(), family).vcov(vcov_of(&case["vcov"]));
        if let Some(t) = case["trials"].as_str() {
            p = p.trials(t);
        }
        if let Some(w) = case["weights"].as_str() {
            p = p.weights(w);
        }
        let fit = p.fit(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(fit.n_obs as u64, case["nobs"].as_u64().unwrap(), "{name}: n obs");
        let coef = case["coef"].as_object().unwrap();
        assert_eq!(fit.coefficients.len(), coef.len(), "{name}");
        // statsmodels' GLM "HC1" applies no n/(n-k) factor (it equals HC0); virkning's HC1 does,
        // as R sandwich::vcovHC(type = "HC1") and fixest's "hetero": a definitional difference.
        let hc = if case["vcov"] == "HC1" { (fit.n_obs as f64 / fit.df_resid as f64).sqrt() } else { 1.0 };
        for (term, value) in coef {
            let e = fit.coef(term).unwrap_or_else(|| panic!("{name}: no term {term}"));
            assert_close(e.estimate, value.as_f64().unwrap(), 1e-6, &format!("{name} {term} estimate"));
            assert_close(e.std_error, hc * case["se"][term].as_f64().unwrap(), 1e-6, &format!("{name} {term} se"));
        }
        assert_close(fit.deviance, case["deviance"].as_f64().unwrap(), 1e-8, &format!("{name} deviance"));
        assert_close(fit.null_deviance, case["null_deviance"].as_f64().unwrap(), 1e-8, &format!("{name} null dev"));
        assert_close(fit.loglik, case["loglik"].as_f64().unwrap(), 1e-8, &format!("{name} loglik"));
        assert_close(fit.pearson_chi2, case["pearson_chi2"].as_f64().unwrap(), 1e-6, &format!("{name} pearson"));
        assert_close(fit.dispersion, case["scale"].as_f64().unwrap(), 1e-6, &format!("{name} scale"));
    }
}

#[test]
fn fit_glm_on_arrays_matches_the_formula_interface() {
    let frame = read_csv("data/nsw_glm.csv");
    let fit = Glm::new("treat ~ age + educ + re74", Family::Binomial).fit(&frame).unwrap();
    let col = |n: &str| -> Vec<f64> {
        let c = frame.column(n).unwrap();
        (0..frame.n_rows()).map(|i| c.value(i).unwrap()).collect()
    };
    let n = frame.n_rows();
    let (age, educ, re74) = (col("age"), col("educ"), col("re74"));
    let x = Array2::from_shape_fn((n, 4), |(i, j)| [1.0, age[i], educ[i], re74[i]][j]);
    let y = ndarray::Array1::from(col("treat"));
    let raw = fit_glm(x.view(), y.view(), None, None, Family::Binomial).unwrap();
    for (a, b) in raw.coefficients.iter().zip(&fit.coefficients) {
        assert_close(*a, b.estimate, 1e-12, "array vs formula");
    }
    assert!(raw.converged && raw.iterations < 20);
    // The inverse information is the inverse of the information.
    let k = 4;
    for a in 0..k {
        for b in 0..k {
            let v: f64 = (0..k).map(|c| raw.information[a][c] * raw.inverse_information[c][b]).sum();
            assert!((v - f64::from(u8::from(a == b))).abs() < 1e-8);
        }
    }
}

#[test]
fn complete_separation_is_an_error_not_huge_coefficients() {
    let x = Array2::from_shape_vec((6, 2), vec![1., 0., 1., 1., 1., 2., 1., 3., 1., 4., 1., 5.]).unwrap();
    let y = array![0., 0., 0., 1., 1., 1.];
    let err = fit_glm(x.view(), y.view(), None, None, Family::Binomial).unwrap_err();
    assert!(matches!(err, virkning::Error::Regression(RegressionError::Separation { .. })), "{err}");
    assert!(err.to_string().contains("separation"));
    // Poisson: a regressor that is 1 exactly where the count is 0.
    let x = Array2::from_shape_vec((6, 2), vec![1., 1., 1., 1., 1., 0., 1., 0., 1., 0., 1., 0.]).unwrap();
    let y = array![0., 0., 3., 1., 2., 4.];
    let err = fit_glm(x.view(), y.view(), None, None, Family::Poisson).unwrap_err();
    assert!(matches!(err, virkning::Error::Regression(RegressionError::Separation { .. })), "{err}");
}

#[test]
fn bad_glm_inputs_are_specific_errors() {
    let x = Array2::from_shape_vec((4, 2), vec![1., 0., 1., 1., 1., 2., 1., 3.]).unwrap();
    let bad = |y: ndarray::Array1<f64>, t: Option<ndarray::Array1<f64>>, f: Family| {
        fit_glm(x.view(), y.view(), None, t.as_ref().map(|t| t.view()), f).unwrap_err().to_string()
    };
    assert!(bad(array![0., 2., 0.5, 1.], None, Family::Binomial).contains("proportion in [0, 1]"));
    assert!(bad(array![0., 2., 1., 1.], Some(array![1., 1., 2., 2.]), Family::Binomial).contains("[0, trials]"));
    assert!(
        bad(array![0., 1., 1., 1.], Some(array![1., 0., 2., 2.]), Family::Binomial).contains("trials must be positive")
    );
    assert!(bad(array![0., -1., 1., 1.], None, Family::Poisson).contains("non-negative"));
    assert!(bad(array![0., 1., 1.], None, Family::Gaussian).contains("rows"));
    let x3 = Array2::from_shape_vec((2, 2), vec![1., 0., 1., 1.]).unwrap();
    let e = fit_glm(x3.view(), array![0., 1.].view(), None, None, Family::Gaussian).unwrap_err();
    assert!(matches!(e, virkning::Error::Regression(RegressionError::TooFewObservations { .. })));
}
