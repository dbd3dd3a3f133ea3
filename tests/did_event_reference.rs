//! The event-study family against its peers, from the shared fixture
//! `tests/fixtures/did_event_peers.json` (generator `scripts/did_event_peers.py`, versions in
//! the file and in `tests/fixtures/README.md`).

mod common;

use std::collections::HashMap;

use common::{assert_close, read_csv};
use serde_json::Value;
use virkning::did::Bacon;

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
