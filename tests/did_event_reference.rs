//! The event-study family against its peers, from the shared fixture
//! `tests/fixtures/did_event_peers.json` (generator `scripts/did_event_peers.py`, versions in
//! the file and in `tests/fixtures/README.md`).

mod common;

use std::collections::HashMap;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::did::{Bacon, DidImputation, SunAbraham, TwfeEventStudy};

fn fixture() -> Value {
    let text = std::fs::read_to_string(common::fixture("did_event_peers.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Stata's `bacondecomp` (and pybacondecomp) reports one 2x2 per pair of timing groups: the
/// TWFE on the two groups alone, which is the weight-averaged pair of Goodman-Bacon's
/// directional comparisons. Rebuild that from our detailed comparisons.
fn by_pair(r: &virkning::did::BaconDecomposition) -> HashMap<(String, String), (f64, f64)> {
    let mut out: HashMap<(String, String), (f64, f64)> = HashMap::new();
    for c in &r.comparisons {
        let (a, b) = (c.treated.to_lowercase(), c.control.to_lowercase());
        let key = if a < b { (a, b) } else { (b, a) };
        let e = out.entry(key).or_insert((0.0, 0.0));
        e.0 += c.weight;
        e.1 += c.weight * c.estimate;
    }
    out.values_mut().for_each(|(w, s)| *s /= *w);
    out
}

#[test]
fn bacon_equals_pybacondecomp_and_the_identity_holds() {
    let fx = fixture();
    for (name, case) in fx["bacon"].as_object().unwrap() {
        let frame = read_csv(case["data"].as_str().unwrap());
        let s = |k: &str| case[k].as_str().unwrap();
        let r = Bacon::new(s("outcome"), s("unit"), s("time"), s("cohort")).fit(&frame).unwrap();
        // The decomposition identity: weights sum to 1, the weighted sum is the TWFE estimate.
        let total: f64 = r.comparisons.iter().map(|c| c.weight).sum();
        assert!((total - 1.0).abs() < 1e-12, "{name}: weights sum to {total}");
        assert_close(r.weighted_sum, r.twfe_estimate, 1e-10, &format!("{name}: identity"));
        assert_close(r.twfe_estimate, case["twfe_estimate"].as_f64().unwrap(), 1e-8, &format!("{name}: TWFE"));
        eprintln!(
            "{name}: TWFE rel diff {:e}",
            common::rel_diff(r.twfe_estimate, case["twfe_estimate"].as_f64().unwrap())
        );
        let ours = by_pair(&r);
        let pairs = case["pairs"].as_array().unwrap();
        assert_eq!(ours.len(), pairs.len(), "{name}: number of pairs");
        let mut worst = 0.0f64;
        for p in pairs {
            let (a, b) = (p["treated"].as_str().unwrap().to_lowercase(), p["control"].as_str().unwrap().to_lowercase());
            let key = if a < b { (a, b) } else { (b, a) };
            let (w, est) = ours.get(&key).unwrap_or_else(|| panic!("{name}: no pair {key:?}"));
            assert_close(*w, p["weight"].as_f64().unwrap(), 1e-8, &format!("{name} {key:?} weight"));
            assert_close(*est, p["estimate"].as_f64().unwrap(), 1e-8, &format!("{name} {key:?} estimate"));
            worst = worst.max(common::rel_diff(*w, p["weight"].as_f64().unwrap()));
            worst = worst.max(common::rel_diff(*est, p["estimate"].as_f64().unwrap()));
        }
        eprintln!("{name}: max rel diff of pair weights and estimates {worst:e}");
    }
}

fn check_event_times(
    name: &str,
    r: &virkning::did::EventStudyResult,
    reference: &Value,
    pre_se_rtol: Option<f64>,
) -> f64 {
    let refs = reference.as_object().unwrap();
    assert_eq!(r.event_times.len(), refs.len(), "{name}: number of event times");
    let mut worst = 0.0f64;
    for (e, v) in refs {
        let e: i64 = e.parse().unwrap();
        let ours = &r.at(e).unwrap_or_else(|| panic!("{name}: no event time {e}")).estimate;
        for (a, b, q) in [
            (ours.estimate, v["estimate"].as_f64().unwrap(), "estimate"),
            (ours.std_error, v["std_error"].as_f64().unwrap(), "std_error"),
        ] {
            if let Some(rtol) = pre_se_rtol.filter(|_| e < 0 && q == "std_error") {
                // Definitional difference (see tests/fixtures/README.md): reghdfe's small-sample
                // count has one more absorbed parameter than fixest's.
                assert_close(a, b, rtol, &format!("{name} e={e} {q}"));
                continue;
            }
            assert_close(a, b, 1e-6, &format!("{name} e={e} {q}"));
            worst = worst.max(common::rel_diff(a, b));
        }
    }
    worst
}

#[test]
fn sun_abraham_equals_pyfixest_saturated_event_study() {
    let fx = fixture();
    let case = &fx["sun_abraham"]["mpdta"];
    let frame = read_csv(case["data"].as_str().unwrap());
    let s = |k: &str| case[k].as_str().unwrap();
    let r = SunAbraham::new(s("outcome"), s("unit"), s("time"), s("cohort")).fit(&frame).unwrap();
    let mut worst = check_event_times("sun_abraham", &r, &case["event_time"], None);
    let cells = case["cells"].as_object().unwrap();
    assert_eq!(r.cohort_effects.len(), cells.len());
    for c in &r.cohort_effects {
        let v = &cells[&format!("{}:{}", c.cohort, c.event_time)];
        assert_close(c.estimate.estimate, v["estimate"].as_f64().unwrap(), 1e-6, "cell estimate");
        assert_close(c.estimate.std_error, v["std_error"].as_f64().unwrap(), 1e-6, "cell std_error");
        worst = worst.max(common::rel_diff(c.estimate.std_error, v["std_error"].as_f64().unwrap()));
    }
    let att = r.att.as_ref().unwrap();
    assert_close(att.estimate, case["att"]["estimate"].as_f64().unwrap(), 1e-6, "ATT");
    assert_close(att.std_error, case["att"]["std_error"].as_f64().unwrap(), 1e-6, "ATT se");
    // Weights within an event time sum to one.
    for e in r.event_times.iter().map(|x| x.event_time) {
        let w: f64 = r.cohort_effects.iter().filter(|c| c.event_time == e).map(|c| c.weight).sum();
        assert!((w - 1.0).abs() < 1e-12);
    }
    eprintln!("sun_abraham: max rel diff {worst:e}");
}

#[test]
fn twfe_event_study_equals_pyfixest() {
    let fx = fixture();
    let case = &fx["twfe_event_study"]["mpdta"];
    let frame = read_csv(case["data"].as_str().unwrap());
    let s = |k: &str| case[k].as_str().unwrap();
    let r = TwfeEventStudy::new(s("outcome"), s("unit"), s("time"), s("cohort")).fit(&frame).unwrap();
    let worst = check_event_times("twfe", &r, &case["event_time"], None);
    eprintln!("twfe event study: max rel diff {worst:e}");
    // Binned end points pool event times below -2 into -2.
    let binned =
        TwfeEventStudy::new(s("outcome"), s("unit"), s("time"), s("cohort")).bin(Some(-2), None).fit(&frame).unwrap();
    assert_eq!(binned.event_times.first().unwrap().event_time, -2);
    assert_eq!(
        binned.event_times.first().unwrap().n_obs,
        r.at(-2).unwrap().n_obs + r.at(-3).unwrap().n_obs + r.at(-4).unwrap().n_obs
    );
}

#[test]
fn imputation_equals_did_imputation() {
    let fx = fixture();
    let case = &fx["imputation"]["mpdta"];
    let frame = read_csv(case["data"].as_str().unwrap());
    let s = |k: &str| case[k].as_str().unwrap();
    let k = case["pretrends"].as_u64().unwrap() as usize;
    let r = DidImputation::new(s("outcome"), s("unit"), s("time"), s("cohort")).pretrends(k).fit(&frame).unwrap();
    let worst = check_event_times("imputation", &r, &case["event_time"], Some(5e-4));
    let att = r.att.as_ref().unwrap();
    assert_close(att.estimate, case["att"]["estimate"].as_f64().unwrap(), 1e-6, "ATT");
    assert_close(att.std_error, case["att"]["std_error"].as_f64().unwrap(), 1e-6, "ATT se");
    let worst = worst.max(common::rel_diff(att.std_error, case["att"]["std_error"].as_f64().unwrap()));
    let test = r.pretrend.as_ref().unwrap();
    assert_eq!(test.df, k);
    eprintln!(
        "imputation: max rel diff {worst:e}; pre-trend chi2({}) = {:.4}, p = {:.4}",
        test.df, test.statistic, test.p_value
    );
}
