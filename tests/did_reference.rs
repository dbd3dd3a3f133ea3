//! Callaway & Sant'Anna ATT(g,t), aggregations and analytic standard errors against csdid 0.4.3
//! (the Python port of R `did`, checked by its authors against R to 1e-9) on mpdta:
//! dr/ipw/reg, with and without `lpop`, never- and not-yet-treated controls, universal base,
//! anticipation, clustering by state, sampling weights (`tests/fixtures/att_gt_csdid.json`).

mod common;

use std::borrow::Cow;

use serde_json::Value;
use virkning::data::{Column, Frame};
use virkning::did::{Aggregate, AggregationKind, AttGt, GroupTimeEffects};

fn mpdta() -> Frame<'static> {
    let mut f = common::read_csv("data/mpdta.csv");
    let county: Vec<f64> = match f.column("countyreal").unwrap() {
        Column::Float(v) => v.to_vec(),
        _ => unreachable!(),
    };
    let lpop: Vec<f64> = match f.column("lpop").unwrap() {
        Column::Float(v) => v.to_vec(),
        _ => unreachable!(),
    };
    let mean = lpop.iter().map(|v| v.exp()).sum::<f64>() / lpop.len() as f64;
    f.push("state", Column::Float(Cow::Owned(county.iter().map(|c| (c / 1000.0).floor()).collect()))).unwrap();
    f.push("pop_weight", Column::Float(Cow::Owned(lpop.iter().map(|v| v.exp() / mean).collect()))).unwrap();
    f
}

fn params(p: &Value) -> AttGt {
    let mut v = p.clone();
    let o = v.as_object_mut().unwrap();
    if o["cluster"].is_null() {
        o.remove("cluster");
    }
    if o["weights"].is_null() {
        o.remove("weights");
    }
    serde_json::from_value(v).unwrap()
}

fn close(what: &str, got: f64, want: &Value, tol: f64) {
    let want = want.as_f64().unwrap_or(f64::NAN);
    if want.is_nan() {
        assert!(got.is_nan(), "{what}: got {got}, want NaN");
        return;
    }
    let rel = (got - want).abs() / want.abs().max(1e-3);
    assert!(rel < tol, "{what}: got {got:.12}, want {want:.12} (rel {rel:.2e})");
}

fn check_agg(name: &str, fit: &GroupTimeEffects, opts: Aggregate, want: &Value) {
    let a = fit.aggregate(&opts).unwrap();
    close(&format!("{name} overall att"), a.overall.estimate, &want["overall_att"], 1e-8);
    close(&format!("{name} overall se"), a.overall.std_error, &want["overall_se"], 1e-6);
    if let Some(by) = want.get("by").and_then(Value::as_array) {
        assert_eq!(a.rows.len(), by.len(), "{name}: rows");
        for (r, w) in a.rows.iter().zip(by) {
            assert_eq!(r.key, w["key"].as_i64(), "{name}: keys");
            close(&format!("{name} {:?} att", r.key), r.estimate, &w["att"], 1e-8);
            close(&format!("{name} {:?} se", r.key), r.std_error, &w["se"], 1e-6);
        }
    }
}

#[test]
fn att_gt_matches_csdid_on_mpdta() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("att_gt_csdid.json")).unwrap()).unwrap();
    let frame = mpdta();
    let mut worst = (0.0f64, String::new());
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let fit = params(&case["params"]).fit(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = case["att_gt"].as_array().unwrap();
        assert_eq!(fit.effects.len(), want.len(), "{name}: number of ATT(g,t)");
        for (e, w) in fit.effects.iter().zip(want) {
            assert_eq!((e.cohort, e.time), (w["cohort"].as_i64().unwrap(), w["time"].as_i64().unwrap()), "{name}");
            let tag = format!("{name} g{} t{}", e.cohort, e.time);
            close(&format!("{tag} att"), e.estimate, &w["att"], 1e-8);
            close(&format!("{tag} se"), e.std_error, &w["se"], 1e-6);
            if let Some(s) = w["se"].as_f64() {
                let rel = (e.std_error - s).abs() / s;
                if rel > worst.0 {
                    worst = (rel, tag);
                }
            }
        }
        let aggs = &case["aggregations"];
        check_agg(&format!("{name} simple"), &fit, Aggregate::new(AggregationKind::Simple), &aggs["simple"]);
        check_agg(&format!("{name} dynamic"), &fit, Aggregate::new(AggregationKind::Dynamic), &aggs["dynamic"]);
        let window = Aggregate { min_e: Some(-2), max_e: Some(2), ..Aggregate::new(AggregationKind::Dynamic) };
        check_agg(&format!("{name} dynamic window"), &fit, window, &aggs["dynamic_window"]);
        let balanced = Aggregate { balance_e: Some(1), ..Aggregate::new(AggregationKind::Dynamic) };
        check_agg(&format!("{name} dynamic balanced"), &fit, balanced, &aggs["dynamic_balanced"]);
        check_agg(&format!("{name} group"), &fit, Aggregate::new(AggregationKind::Group), &aggs["group"]);
        check_agg(&format!("{name} calendar"), &fit, Aggregate::new(AggregationKind::Calendar), &aggs["calendar"]);
    }
    eprintln!("largest relative SE difference of ATT(g,t): {:.2e} ({})", worst.0, worst.1);
}
