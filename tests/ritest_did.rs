//! Randomization inference for the staggered DiD and synthetic-DiD estimators: the identity
//! permutation reproduces each estimator's ATT, permuted timing keeps the number of treated
//! units and the adoption-time multiset, results are seed-deterministic and thread-count
//! independent, a strong effect gives a small p-value and no effect does not, bad input errors.

use std::borrow::Cow;

use virkning::data::{Column, Frame};
use virkning::did::{permuted_timing, Aggregate, AggregationKind, AttGt, CohortSource, DidImputation, SunAbraham};
use virkning::inference::{permutation, RiTest};
use virkning::simulate::{simulate_staggered, StaggeredPanelParams};
use virkning::synth::{Sdid, SdidSe};

/// 60 units x 6 periods; `scale` multiplies the true effect (0: sharp null holds). Adds `d`,
/// the 0/1 absorbing treatment.
fn panel(scale: f64, seed: u64) -> Frame<'static> {
    let p = StaggeredPanelParams { n_units: 60, n_periods: 6, seed, ..Default::default() };
    let f = simulate_staggered(&p).unwrap();
    let n = f.n_rows();
    let val = |name: &str, i: usize| f.column(name).unwrap().value(i).unwrap();
    let y: Vec<f64> = (0..n).map(|i| val("y", i) + (scale - 1.0) * val("true_effect", i)).collect();
    let d: Vec<f64> =
        (0..n).map(|i| f64::from(u8::from(val("cohort", i) > 0.0 && val("period", i) >= val("cohort", i)))).collect();
    let mut out = Frame::new();
    for name in ["unit", "period", "cohort", "x"] {
        out.push(name, f.column(name).unwrap().view().into_owned()).unwrap();
    }
    out.push("y", Column::Float(Cow::Owned(y))).unwrap();
    out.push("d", Column::Float(Cow::Owned(d))).unwrap();
    out
}

trait Owned {
    fn into_owned(self) -> Column<'static>;
}
impl Owned for Column<'_> {
    fn into_owned(self) -> Column<'static> {
        match self {
            Column::Float(v) => Column::Float(Cow::Owned(v.into_owned())),
            Column::Int(v) => Column::Int(Cow::Owned(v.into_owned())),
            Column::Categorical { codes, labels } => {
                Column::Categorical { codes: Cow::Owned(codes.into_owned()), labels }
            }
        }
    }
}

fn ri(reps: usize, seed: u64) -> virkning::traits::Validated<RiTest> {
    RiTest::default().reps(reps).seed(seed).validate().unwrap()
}

#[test]
fn identity_permutation_gives_each_estimators_att() {
    let f = panel(1.0, 3);
    let p = ri(5, 1);
    let cs = AttGt::new("y", "unit", "period", "cohort").validate().unwrap();
    let simple = Aggregate::new(AggregationKind::Simple);
    let r = cs.ritest(&f, &simple, &p).unwrap();
    assert_eq!(r.statistic, cs.fit(&f).unwrap().aggregate(&simple).unwrap().overall.estimate);
    let dynamic = Aggregate::new(AggregationKind::Dynamic);
    let r = cs.ritest(&f, &dynamic, &p).unwrap();
    assert_eq!(r.statistic, cs.fit(&f).unwrap().aggregate(&dynamic).unwrap().overall.estimate);
    assert_eq!(r.term, "ATT (dynamic)");

    let sa = SunAbraham::new("y", "unit", "period", "cohort").validate().unwrap();
    assert_eq!(sa.ritest(&f, &p).unwrap().statistic, sa.fit(&f).unwrap().att.unwrap().estimate);
    let bjs = DidImputation::new("y", "unit", "period", "").treatment("d").validate().unwrap();
    assert_eq!(bjs.ritest(&f, &p).unwrap().statistic, bjs.fit(&f).unwrap().att.unwrap().estimate);
    let sd = Sdid::new("y", "unit", "period", "d").se(SdidSe::None).validate().unwrap();
    let r = sd.ritest(&f, &p).unwrap();
    assert_eq!(r.statistic, Sdid::new("y", "unit", "period", "d").se(SdidSe::None).fit(&f).unwrap().att());
    assert_eq!((r.n_units, r.n_failed, r.reps), (60, 0, 5));
}

#[test]
fn permuted_timing_keeps_treated_count_and_adoption_times() {
    let f = panel(1.0, 3);
    for source in [CohortSource::FirstTreated("cohort"), CohortSource::Treatment("d")] {
        let pt = permuted_timing(&f, "unit", "period", source).unwrap();
        let mut before: Vec<Option<i64>> = pt.cohorts().to_vec();
        for b in 0..5 {
            let perm = permutation(pt.n_units(), 7, b);
            let col = pt.column(&perm).unwrap();
            let g = pt.frame(&col).unwrap();
            let again = permuted_timing(&g, "unit", "period", source).unwrap();
            assert_eq!(again.n_treated(), pt.n_treated());
            let mut after = again.cohorts().to_vec();
            // Unit u now has the adoption time of unit perm[u].
            for u in 0..pt.n_units() {
                assert_eq!(after[u], pt.cohorts()[perm[u]]);
            }
            after.sort();
            before.sort();
            assert_eq!(after, before);
            // Every other column is untouched.
            for name in ["y", "x", "unit", "period"] {
                let (a, c) = (f.column(name).unwrap(), g.column(name).unwrap());
                assert!((0..f.n_rows()).all(|i| a.value(i) == c.value(i)));
            }
        }
    }
}

#[test]
fn deterministic_for_a_seed_and_independent_of_threads() {
    let f = panel(1.0, 3);
    let sa = SunAbraham::new("y", "unit", "period", "cohort").validate().unwrap();
    let a = sa.ritest(&f, &ri(40, 9)).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let b = one.install(|| sa.ritest(&f, &ri(40, 9)).unwrap());
    assert_eq!(a.distribution, b.distribution);
    assert_eq!(a.p_value, b.p_value);
    let c = sa.ritest(&f, &ri(40, 10)).unwrap();
    assert_ne!(a.distribution, c.distribution);
}

#[test]
fn strong_effect_small_p_value_and_null_not_small() {
    let p = ri(99, 5);
    let strong = panel(3.0, 3);
    let cs = AttGt::new("y", "unit", "period", "cohort").validate().unwrap();
    let r = cs.ritest(&strong, &Aggregate::new(AggregationKind::Simple), &p).unwrap();
    assert!(r.p_value <= 0.02, "p = {}", r.p_value);
    let sd = Sdid::new("y", "unit", "period", "d").validate().unwrap();
    let rs = sd.ritest(&strong, &p).unwrap();
    assert!(rs.p_value <= 0.02, "p = {}", rs.p_value);
    // Under the sharp null the p-value is uniform: over 8 panels, not systematically small.
    let ps: Vec<f64> = (0..8)
        .map(|s| {
            let f = panel(0.0, 100 + s);
            DidImputation::new("y", "unit", "period", "cohort")
                .validate()
                .unwrap()
                .ritest(&f, &ri(49, s))
                .unwrap()
                .p_value
        })
        .collect();
    let small = ps.iter().filter(|&&p| p < 0.05).count();
    assert!(small <= 2, "{ps:?}");
    assert!(ps.iter().sum::<f64>() / 8.0 > 0.25, "{ps:?}");
}

#[test]
fn bad_input_errors() {
    assert!(RiTest::default().reps(0).validate().unwrap_err().to_string().contains("must be at least 2 draws"));
    let f = panel(1.0, 3);
    // Treatment switching off in the last period for treated units.
    let n = f.n_rows();
    let d = f.column("d").unwrap();
    let per = f.column("period").unwrap();
    let sw: Vec<f64> = (0..n).map(|i| if per.value(i) == Some(6.0) { 0.0 } else { d.value(i).unwrap() }).collect();
    let mut g = Frame::new();
    for name in ["unit", "period", "y"] {
        g.push(name, f.column(name).unwrap().view()).unwrap();
    }
    g.push("sw", Column::Float(Cow::Borrowed(&sw))).unwrap();
    let sa = SunAbraham::new("y", "unit", "period", "").treatment("sw").validate().unwrap();
    let e = sa.ritest(&g, &ri(5, 1)).unwrap_err();
    assert!(e.to_string().contains("switch"), "{e}");
    // Every unit with the same adoption time: nothing to permute.
    let same: Vec<f64> = vec![4.0; n];
    let mut h = Frame::new();
    for name in ["unit", "period", "y"] {
        h.push(name, f.column(name).unwrap().view()).unwrap();
    }
    h.push("g", Column::Float(Cow::Borrowed(&same))).unwrap();
    let e = permuted_timing(&h, "unit", "period", CohortSource::FirstTreated("g")).err().unwrap();
    assert!(e.to_string().contains("same"), "{e}");
}

#[test]
fn twfe_event_study_ritest_tests_its_mean_post_treatment_effect() {
    use virkning::did::TwfeEventStudy;
    let f = panel(1.0, 3);
    let es = TwfeEventStudy::new("y", "unit", "period", "cohort").validate().unwrap();
    let fit = es.fit(&f).unwrap();
    let r = es.ritest(&f, &ri(5, 1)).unwrap();
    // The identity permutation reproduces the estimate the test is about.
    assert_eq!(r.statistic, fit.post_mean().unwrap());
    let (num, den) = fit
        .event_times
        .iter()
        .filter(|e| e.event_time >= 0)
        .fold((0.0, 0.0), |(a, b), e| (a + e.n_obs as f64 * e.estimate.estimate, b + e.n_obs as f64));
    assert!((r.statistic - num / den).abs() < 1e-12);
    assert_eq!(r.term, "mean post-treatment effect");
    // A strong effect gives a small p-value.
    let strong = TwfeEventStudy::new("y", "unit", "period", "cohort").validate().unwrap();
    let rs = strong.ritest(&panel(3.0, 3), &ri(99, 5)).unwrap();
    assert!(rs.p_value <= 0.02, "p = {}", rs.p_value);
}
