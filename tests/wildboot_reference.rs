//! Wild cluster bootstrap against wildboottest 0.3.2 and a brute-force bootstrap (every draw
//! refitted) with full enumeration (exact), from `tests/fixtures/wildboot_wildboottest.json`,
//! and against wildboottest's mpdta TWFE p-value (9,999 random draws: within Monte Carlo error).

mod common;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::inference::{BootType, BootWeights, VcovType, WildBoot};
use virkning::regression::{Feols, Vcov};

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[test]
fn wildboot_equals_wildboottest_and_bruteforce_under_full_enumeration() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("wildboot_wildboottest.json")).unwrap()).unwrap();
    let frame = read_csv(fixture["data"].as_str().unwrap());
    let alpha = fixture["alpha"].as_f64().unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cluster = strings(&case["cluster"]);
        let chk = Feols::new(case["formula"].as_str().unwrap()).vcov(Vcov::cr1(cluster.clone())).validate().unwrap();
        let btype = if case["bootstrap_type"] == "31" { BootType::Jackknife } else { BootType::Standard };
        let params = WildBoot { alpha, ..WildBoot::default() }
            .reps(case["reps"].as_u64().unwrap() as usize)
            .weights(BootWeights::Rademacher)
            .impose_null(case["impose_null"].as_bool().unwrap())
            .bootstrap_type(btype)
            .seed(1)
            .validate()
            .unwrap();
        let terms = [(case["param"].as_str().unwrap().to_string(), 1.0)];
        let r = case["r"].as_f64().unwrap();
        let res = chk
            .wildboot(&frame, &terms, r, None, case["bootcluster"].as_str(), &params)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(res.enumerated, "{name}");
        assert_eq!(res.reps as u64, case["enumerated_draws"].as_u64().unwrap(), "{name}");
        assert_close(res.estimate, case["estimate"].as_f64().unwrap(), 1e-8, &format!("{name} estimate"));
        for source in ["wildboottest", "bruteforce"] {
            let refs = &case[source];
            if refs.is_null() {
                continue;
            }
            assert_eq!(res.p_value, refs["p_value"].as_f64().unwrap(), "{name}: p-value vs {source}");
            let (lo, hi) = res.conf_int.unwrap();
            let ci = refs["conf_int"].as_array().unwrap();
            assert_close(lo, ci[0].as_f64().unwrap(), 1e-8, &format!("{name}: CI low vs {source}"));
            assert_close(hi, ci[1].as_f64().unwrap(), 1e-8, &format!("{name}: CI high vs {source}"));
        }
    }
}

#[test]
fn mpdta_twfe_wcr_p_value_within_monte_carlo_error_of_wildboottest() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("wildboot_wildboottest.json")).unwrap()).unwrap();
    let m = &fixture["mpdta"];
    let frame = read_csv("data/mpdta_feols.csv");
    let chk = Feols::new(m["formula"].as_str().unwrap()).vcov(Vcov::cr1(["countyreal"])).validate().unwrap();
    let params = WildBoot::default().reps(9999).seed(20260101).validate().unwrap();
    let res = chk.wildboot(&frame, &[("treat_post".into(), 1.0)], 0.0, None, None, &params).unwrap();
    let p_ref = m["p_value"].as_f64().unwrap();
    let sd = (p_ref * (1.0 - p_ref) / 9999.0).sqrt();
    assert!(!res.enumerated && res.reps == 9999);
    assert!((res.p_value - p_ref).abs() < 4.0 * sd, "p {} vs wildboottest {p_ref} (MC sd {sd})", res.p_value);
    // The statistic is feols' CR1 t (K = 6: the county effects are nested in the cluster);
    // wildboottest on statsmodels dummies counts all K = 505 parameters in (N-1)/(N-K).
    let n: f64 = 2500.0;
    assert_close(res.statistic * ((n - 505.0) / (n - 6.0)).sqrt(), m["statistic"].as_f64().unwrap(), 1e-6, "mpdta t");
    let fit = Feols::new(m["formula"].as_str().unwrap()).vcov(Vcov::cr1(["countyreal"])).fit(&frame).unwrap();
    assert_close(res.statistic, fit.coef("treat_post").unwrap().statistic, 1e-10, "t equals feols CR1 t");
    let (lo, hi) = res.conf_int.unwrap();
    assert!(lo < res.estimate && res.estimate < hi && hi < 0.0, "95% interval excludes 0 as p < 0.05: {lo} {hi}");
    // Thread-count independence and reproducibility: same seed, same draws.
    let again = chk.wildboot(&frame, &[("treat_post".into(), 1.0)], 0.0, None, None, &params).unwrap();
    assert_eq!(again.t_boot, res.t_boot);
    let _ = VcovType::Cr1;
}

#[test]
fn random_draws_agree_with_wildboottest_within_monte_carlo_error() {
    // 30 state clusters: 2^30 sign vectors, so all four weight types are drawn at random. Each
    // case holds wildboottest's p-values for two seeds; virkning's (its own seed) must lie within
    // 4 sd of their mean, sd^2 = p(1-p)/B (1 + 1/2).
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("wildboot_wildboottest.json")).unwrap()).unwrap();
    let frame = read_csv(fixture["data"].as_str().unwrap());
    let cases = fixture["random_draws"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let weights: BootWeights = serde_json::from_value(case["weights"].clone()).unwrap();
        let btype = if case["bootstrap_type"] == "31" { BootType::Jackknife } else { BootType::Standard };
        let reps = case["reps"].as_u64().unwrap() as usize;
        let params = WildBoot::default()
            .reps(reps)
            .weights(weights)
            .impose_null(case["impose_null"].as_bool().unwrap())
            .bootstrap_type(btype)
            .seed(7)
            .validate()
            .unwrap();
        let chk = Feols::new(case["formula"].as_str().unwrap())
            .vcov(Vcov::cr1(strings(&case["cluster"])))
            .validate()
            .unwrap();
        let terms = [(case["param"].as_str().unwrap().to_string(), 1.0)];
        let res = chk.wildboot(&frame, &terms, case["r"].as_f64().unwrap(), None, None, &params).unwrap();
        assert!(!res.enumerated && res.reps == reps, "{name}");
        let refs: Vec<f64> =
            case["wildboottest_p_values"].as_array().unwrap().iter().map(|p| p.as_f64().unwrap()).collect();
        assert_ne!(refs[0], refs[1], "{name}: wildboottest's two seeds must differ");
        let p_ref = refs.iter().sum::<f64>() / refs.len() as f64;
        let sd = (p_ref * (1.0 - p_ref) / reps as f64 * 1.5).sqrt().max(1.0 / reps as f64);
        assert!((res.p_value - p_ref).abs() < 4.0 * sd, "{name}: p {} vs wildboottest {refs:?} (sd {sd})", res.p_value);
    }
}
