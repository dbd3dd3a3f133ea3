//! The estimator contract (docs/CONTRACT.md): every result's tidy table at the fitted alpha
//! equals what the result stores, its intervals recomputed with the estimator's own reference
//! distribution reproduce the stored ones (so `tidy(alpha)` uses the right t or normal), and a
//! larger alpha narrows them.

mod common;

use virkning::data::Frame;
use virkning::did::{Aggregate, AggregationKind, AttGt, Bacon, DidImputation, SunAbraham, TwfeEventStudy};
use virkning::regression::Feols;
use virkning::results::TidyTable;
use virkning::traits::{Estimator, EstimatorResult};

fn mpdta() -> Frame<'static> {
    common::read_csv("data/mpdta.csv")
}

/// The standard columns are consistent and `alpha = 0.1` narrows every finite interval.
fn check(name: &str, r: &impl EstimatorResult) -> TidyTable {
    let t = r.tidy(r.alpha());
    let n = t.len();
    assert!(n > 0, "{name}: empty tidy table");
    for v in [&t.estimate, &t.std_error, &t.statistic, &t.p_value, &t.conf_low, &t.conf_high] {
        assert_eq!(v.len(), n, "{name}");
    }
    for (c, col) in &t.family {
        assert_eq!(col.len(), n, "{name}: family column {c}");
    }
    let narrow = r.tidy(0.1);
    let mut finite = 0;
    for i in 0..n {
        let (w0, w1) = (t.conf_high[i] - t.conf_low[i], narrow.conf_high[i] - narrow.conf_low[i]);
        if w0.is_finite() && w0 > 0.0 {
            assert!(w1 < w0, "{name} row {i}: {w1} >= {w0}");
            finite += 1;
        }
    }
    assert!(finite > 0, "{name}: no finite interval");
    assert!(r.glance().n_obs > 0, "{name}: n_obs");
    t
}

/// Recomputing a table's tests at the fitted alpha gives back what it holds.
fn recomputes_to_itself(name: &str, t: &TidyTable, dist: &virkning::inference::RefDist, alpha: f64) {
    let mut again = t.clone();
    again.recompute(dist, alpha);
    for i in 0..t.len() {
        if !t.std_error[i].is_finite() || t.std_error[i] == 0.0 {
            continue;
        }
        for (a, b, what) in [
            (t.conf_low[i], again.conf_low[i], "conf_low"),
            (t.conf_high[i], again.conf_high[i], "conf_high"),
            (t.p_value[i], again.p_value[i], "p_value"),
        ] {
            common::assert_close(a, b, 1e-9, &format!("{name} row {i} {what}"));
        }
    }
}

#[test]
fn regression_and_event_studies_recompute_with_their_own_distribution() {
    use virkning::inference::RefDist;
    let f = mpdta();
    let fe = Feols::new("lemp ~ lpop + treat | year").estimate(&f).unwrap();
    let t = check("feols", &fe);
    recomputes_to_itself("feols", &t, &RefDist::StudentT(fe.df_t), fe.alpha());
    for r in [
        SunAbraham::new("lemp", "countyreal", "year", "first_treat").estimate(&f).unwrap(),
        TwfeEventStudy::new("lemp", "countyreal", "year", "first_treat").estimate(&f).unwrap(),
        DidImputation::new("lemp", "countyreal", "year", "first_treat").estimate(&f).unwrap(),
    ] {
        let name = r.method.name();
        let t = check(name, &r);
        let dist = r.df_t.map_or(RefDist::Normal, RefDist::StudentT);
        recomputes_to_itself(name, &t, &dist, r.alpha());
        assert!(t.family.iter().any(|(c, _)| c == "event_time"), "{name}");
    }
}

#[test]
fn att_gt_and_aggregations_keep_their_meaning_at_another_alpha() {
    use virkning::inference::RefDist;
    let f = mpdta();
    let p = AttGt::new("lemp", "countyreal", "year", "first_treat");
    let r = p.estimate(&f).unwrap();
    let t = check("att_gt", &r);
    recomputes_to_itself("att_gt", &t, &RefDist::Normal, r.alpha());
    for kind in [AggregationKind::Simple, AggregationKind::Dynamic, AggregationKind::Group] {
        let a = r.aggregate(&Aggregate::new(kind)).unwrap();
        let t = check(kind.as_str(), &a);
        recomputes_to_itself(kind.as_str(), &t, &RefDist::Normal, a.alpha());
    }
}

#[test]
fn bacon_has_no_inference_columns_of_another_meaning() {
    let f = mpdta();
    let r = Bacon::new("lemp", "countyreal", "year", "first_treat").estimate(&f).unwrap();
    let t = r.tidy(0.05);
    assert!(t.std_error.iter().chain(&t.conf_low).chain(&t.p_value).all(|x| x.is_nan()));
    assert!(t.family.iter().any(|(c, _)| c == "weight"));
}
