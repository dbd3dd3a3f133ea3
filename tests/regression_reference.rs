//! `feols` against pyfixest 0.60 (= R fixest) on real and generated data, from the shared
//! fixture `tests/fixtures/feols_pyfixest.json` (generator and versions in its provenance),
//! and against the NIST StRD certified values for Longley.

mod common;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::inference::VcovType;
use virkning::regression::{Feols, Vcov};

fn vcov_of(v: &Value) -> Vcov {
    match v {
        Value::String(s) => Vcov::new(s.parse::<VcovType>().unwrap()),
        Value::Object(m) => {
            let (k, cols) = m.iter().next().unwrap();
            let cols: Vec<String> = cols.as_str().unwrap().split('+').map(|c| c.trim().to_string()).collect();
            Vcov { kind: k.parse::<VcovType>().unwrap(), cluster: cols }
        }
        _ => panic!("bad vcov {v}"),
    }
}

#[test]
fn feols_equals_pyfixest_on_every_reference_case() {
    let text = std::fs::read_to_string(common::fixture("feols_pyfixest.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let frame = read_csv(&format!("data/{}", case["data"].as_str().unwrap()));
        let mut params = Feols::new(case["formula"].as_str().unwrap())
            .vcov(vcov_of(&case["vcov"]))
            .drop_singletons(case["drop_singletons"].as_bool().unwrap());
        if let Some(w) = case["weights"].as_str() {
            params = params.weights(w);
        }
        let fit = params.fit(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(fit.n_obs as u64, case["nobs"].as_u64().unwrap(), "{name}: n obs");
        let dropped: Vec<String> =
            case["dropped_collinear"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(fit.collinear, dropped, "{name}: collinear");
        let coef = case["coef"].as_object().unwrap();
        assert_eq!(fit.coefficients.len(), coef.len(), "{name}: number of coefficients");
        for (term, value) in coef {
            let e = fit.coef(term).unwrap_or_else(|| panic!("{name}: no term {term}"));
            let what = |q: &str| format!("{name} {term} {q}");
            assert_close(e.estimate, value.as_f64().unwrap(), 1e-6, &what("estimate"));
            assert_close(e.std_error, case["se"][term].as_f64().unwrap(), 1e-6, &what("std_error"));
            assert_close(e.statistic, case["tstat"][term].as_f64().unwrap(), 1e-6, &what("t"));
            assert_close(e.p_value, case["pvalue"][term].as_f64().unwrap(), 1e-6, &what("p"));
            assert_close(e.conf_low, case["conf_low"][term].as_f64().unwrap(), 1e-6, &what("conf_low"));
            assert_close(e.conf_high, case["conf_high"][term].as_f64().unwrap(), 1e-6, &what("conf_high"));
        }
        if let Some(r2) = case["r2"].as_f64() {
            assert_close(fit.r2, r2, 1e-6, &format!("{name} r2"));
        }
        if let (Some(r2w), Some(ours)) = (case["r2_within"].as_f64(), fit.r2_within) {
            assert_close(ours, r2w, 1e-6, &format!("{name} r2_within"));
        }
    }
}

#[test]
fn longley_matches_nist_certified_values() {
    let cert: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("nist_longley.json")).unwrap()).unwrap();
    let frame = read_csv("data/longley.csv");
    let fit = Feols::new("y ~ x1 + x2 + x3 + x4 + x5 + x6").vcov(Vcov::new(VcovType::Iid)).fit(&frame).unwrap();
    for (term, v) in cert["coefficients"].as_object().unwrap() {
        let e = fit.coef(term).unwrap();
        assert_close(e.estimate, v["estimate"].as_f64().unwrap(), 1e-9, &format!("Longley {term}"));
        // (X'X)^-1 of a design with condition number ~1e8 keeps about 8-9 digits.
        assert_close(e.std_error, v["std_error"].as_f64().unwrap(), 1e-8, &format!("Longley {term} se"));
    }
    assert_close(fit.sigma, cert["residual_sd"].as_f64().unwrap(), 1e-9, "Longley residual sd");
    assert_close(fit.r2, cert["r_squared"].as_f64().unwrap(), 1e-9, "Longley R2");
}
