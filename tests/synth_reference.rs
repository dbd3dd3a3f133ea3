//! Synthetic DiD / SC / DiD on California Proposition 99 against synthdid-py 0.1.0 (a port of
//! the R package; equal to the paper's Table 1), from `tests/fixtures/synth_prop99.json`
//! (generator `tests/fixtures/scripts/synth_synthdid.py`). Resampling SEs are compared on the
//! peer's own draws, stored in the fixture.

mod common;

use std::borrow::Cow;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::data::{Column, Frame};
use virkning::synth::{Draws, Sdid, SdidMethod, SdidSe};

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(common::fixture("synth_prop99.json")).unwrap()).unwrap()
}

/// Prop 99 with `treated` recoded: unit -> first treated year.
fn prop99(adoption: &[(String, i64)]) -> Frame<'static> {
    let f = read_csv("data/california_prop99.csv");
    let (state, year) = (f.column("State").unwrap(), f.column("Year").unwrap());
    let d: Vec<f64> = (0..f.n_rows())
        .map(|i| {
            let (s, y) = (state.label(i), year.value(i).unwrap() as i64);
            adoption.iter().any(|(u, a)| *u == s && y >= *a) as u8 as f64
        })
        .collect();
    let mut out = Frame::new();
    for n in ["State", "Year", "PacksPerCapita"] {
        out.push(n, f.column(n).unwrap().clone()).unwrap();
    }
    out.push("treated", Column::Float(Cow::Owned(d))).unwrap();
    out
}

fn method(v: &Value) -> SdidMethod {
    v.as_str().unwrap().parse().unwrap()
}

fn draws(v: &Value, k: usize) -> Draws {
    Draws::Given(
        v.as_array()
            .unwrap()
            .iter()
            .take(k)
            .map(|d| d.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect())
            .collect(),
    )
}

#[test]
fn prop99_point_estimates_equal_the_paper() {
    let frame = read_csv("data/california_prop99.csv");
    for (m, published) in [(SdidMethod::Sdid, -15.6), (SdidMethod::Sc, -19.6), (SdidMethod::Did, -27.3)] {
        let fit =
            Sdid::new("PacksPerCapita", "State", "Year", "treated").method(m).se(SdidSe::None).fit(&frame).unwrap();
        assert!((fit.att() - published).abs() < 0.05, "{m:?}: {}", fit.att());
    }
}

#[test]
fn block_estimates_weights_and_ses_equal_synthdid_py() {
    let fx = fixture();
    for case in fx["cases"].as_array().unwrap().iter().filter(|c| c.get("treated").is_some()) {
        let name = case["name"].as_str().unwrap();
        let adoption: Vec<(String, i64)> =
            case["treated"].as_array().unwrap().iter().map(|u| (u.as_str().unwrap().to_string(), 1989)).collect();
        let frame = prop99(&adoption);
        let m = method(&case["method"]);
        let base = Sdid::new("PacksPerCapita", "State", "Year", "treated").method(m);
        let fit = base.clone().se(SdidSe::None).fit(&frame).unwrap();
        assert_close(fit.att(), case["estimate"].as_f64().unwrap(), 1e-9, &format!("{name} estimate"));
        let c = &fit.cohorts[0];
        for (u, w) in &c.unit_weights {
            assert_close(*w, case["omega"][u].as_f64().unwrap(), 1e-7, &format!("{name} omega {u}"));
        }
        for (t, w) in &c.time_weights {
            assert_close(*w, case["lambda"][t.to_string()].as_f64().unwrap(), 1e-7, &format!("{name} lambda {t}"));
        }
        if let Some(s) = case.get("noise_level") {
            assert_close(c.noise_level, s.as_f64().unwrap(), 1e-12, "noise level");
        }
        for (kind, spec) in case["se"].as_object().unwrap() {
            let se: SdidSe = kind.parse().unwrap();
            // The first K of the peer's draws (debug builds are slow); the SE of those K
            // replicates is compared with the population SD of the peer's first K.
            const K: usize = 6;
            let d = spec.get("draws").map(|v| draws(v, K)).unwrap_or(Draws::Seeded(0));
            let r = base.clone().se(se).validate().unwrap().fit_with(&frame, &d).unwrap();
            let want = match spec.get("replicates") {
                Some(reps) => {
                    let reps: Vec<f64> = reps.as_array().unwrap().iter().take(K).map(|v| v.as_f64().unwrap()).collect();
                    for (a, b) in r.replicates.iter().zip(&reps) {
                        assert_close(*a, *b, 1e-6, &format!("{name} {kind} replicate"));
                    }
                    let m = reps.iter().sum::<f64>() / K as f64;
                    (reps.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / K as f64).sqrt()
                }
                None => spec["se"].as_f64().unwrap(),
            };
            assert_close(r.std_error(), want, 1e-6, &format!("{name} {kind} se"));
        }
    }
}

#[test]
fn staggered_adoption_equals_synthdid_py_cohort_by_cohort() {
    let fx = fixture();
    for case in fx["cases"].as_array().unwrap().iter().filter(|c| c.get("staggered").is_some()) {
        let name = case["name"].as_str().unwrap();
        let adoption: Vec<(String, i64)> =
            case["staggered"].as_object().unwrap().iter().map(|(u, a)| (u.clone(), a.as_i64().unwrap())).collect();
        let frame = prop99(&adoption);
        let base = Sdid::new("PacksPerCapita", "State", "Year", "treated").method(method(&case["method"]));
        let fit = base.clone().se(SdidSe::Jackknife).fit(&frame).unwrap();
        assert_close(fit.att(), case["estimate"].as_f64().unwrap(), 1e-9, &format!("{name} estimate"));
        let taus = case["by_cohort"]["tau"].as_array().unwrap();
        let shares = case["by_cohort"]["weight"].as_array().unwrap();
        assert_eq!(fit.cohorts.len(), 2);
        for ((c, t), w) in fit.cohorts.iter().zip(taus).zip(shares) {
            assert_close(c.estimate, t.as_f64().unwrap(), 1e-9, &format!("{name} cohort tau"));
            assert_close(c.share, w.as_f64().unwrap(), 1e-12, &format!("{name} cohort share"));
        }
        assert_close(
            fit.std_error(),
            case["se"]["jackknife"]["se"].as_f64().unwrap(),
            1e-6,
            &format!("{name} jackknife"),
        );
    }
}

#[test]
fn synthetic_control_equals_pysyncon_with_the_same_predictors_and_v() {
    use virkning::synth::SyntheticControl;
    let frame = read_csv("data/california_prop99.csv");
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("synth_pysyncon.json")).unwrap()).unwrap();
    for case in fx["custom_v"].as_array().unwrap() {
        let treated = case["treated"].as_str().unwrap();
        let mut p = SyntheticControl::new("PacksPerCapita", "State", "Year", treated, 1989);
        p.predictors = vec!["PacksPerCapita".into()];
        p.outcome_lags = Some(case["lags"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect());
        p.v = Some(case["v"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect());
        p.placebo = false;
        let r = p.fit(&frame).unwrap();
        let (mspe, att) = (case["mspe_pre"].as_f64().unwrap(), case["att"].as_f64().unwrap());
        let name = format!("{treated} {}", case["v_name"]);
        if case["predictor_loss"].as_f64().unwrap() < 1e-10 {
            // Exact predictor fit: the weights are not unique; virkning picks the best outcome fit.
            assert!(r.fit.predictor_loss < 1e-10, "{name}: {}", r.fit.predictor_loss);
            assert!(r.fit.mspe_pre <= mspe * (1.0 + 1e-9), "{name}: mspe {} vs {mspe}", r.fit.mspe_pre);
            continue;
        }
        for (u, w) in r.fit.donors.iter().zip(&r.fit.weights) {
            let want = case["weights"][u].as_f64().unwrap();
            assert!((w - want).abs() < 1e-4, "{name}: {u}: {w} vs {want}");
        }
        assert!((r.fit.mspe_pre - mspe).abs() < 1e-5 * mspe, "{name}: mspe {} vs {mspe}", r.fit.mspe_pre);
        assert!((r.fit.att - att).abs() < 1e-5 * att.abs(), "{name}: att {} vs {att}", r.fit.att);
    }
}

#[test]
fn synthetic_control_optimised_v_fits_at_least_as_well_as_pysyncon() {
    use virkning::synth::SyntheticControl;
    let frame = read_csv("data/california_prop99.csv");
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("synth_pysyncon.json")).unwrap()).unwrap();
    let mut p = SyntheticControl::new("PacksPerCapita", "State", "Year", "California", 1989);
    p.predictors = vec!["PacksPerCapita".into()];
    p.outcome_lags = Some(vec![1975, 1980, 1988]);
    p.placebo = false;
    let r = p.fit(&frame).unwrap();
    let want = fx["optimised_v"]["mspe_pre"].as_f64().unwrap();
    assert!(r.fit.mspe_pre <= want * (1.0 + 1e-6), "{} vs pysyncon {want}", r.fit.mspe_pre);
    assert!((r.fit.v.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}
