//! Issue 16 regressions for the staggered DiD family (Rust side): a reference event time that
//! is not observed, a single cluster, the resampling-draws rule, a cohort 0 that is also a
//! period, horizons and pre-trend lags without observations, collinear covariates.

use std::borrow::Cow;

use virkning::data::{Column, DataError, Frame};
use virkning::did::{
    Aggregate, AggregationKind, AttGt, Bootstrap, BootstrapWeights, DidError, DidImputation, SunAbraham, TwfeEventStudy,
};
use virkning::Error;

/// `n` units observed at `periods`; unit `u` has cohort `cohorts[u % len]` (0: never), effect 1.
fn panel(periods: &[i64], cohorts: &[i64], n: usize) -> Frame<'static> {
    let (mut u, mut t, mut g, mut y, mut one, mut x) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let c = cohorts[i % cohorts.len()];
        for (k, &p) in periods.iter().enumerate() {
            let noise = ((i * 31 + k * 17) % 13) as f64 / 13.0 - 0.5;
            u.push(i as i64);
            t.push(p);
            g.push(c);
            y.push(i as f64 * 0.1 + 0.2 * p as f64 + f64::from(u8::from(c > 0 && p >= c)) + noise);
            one.push(1);
            x.push(((i * 7 + k * 3) % 11) as f64);
        }
    }
    let mut f = Frame::new();
    f.push("u", Column::Int(Cow::Owned(u))).unwrap();
    f.push("t", Column::Int(Cow::Owned(t))).unwrap();
    f.push("g", Column::Int(Cow::Owned(g))).unwrap();
    f.push("y", Column::Float(Cow::Owned(y))).unwrap();
    f.push("one", Column::Int(Cow::Owned(one))).unwrap();
    f.push("x", Column::Float(Cow::Owned(x.clone()))).unwrap();
    f.push("x_copy", Column::Float(Cow::Owned(x))).unwrap();
    f
}

fn annual() -> Frame<'static> {
    panel(&(1..=8).collect::<Vec<_>>(), &[0, 0, 4, 5, 6], 40)
}

#[test]
fn unobserved_reference_event_time_is_an_error() {
    let biennial = panel(&[2, 4, 6, 8, 10, 12, 14, 16], &[0, 0, 6, 8, 10], 40);
    let e = SunAbraham::new("y", "u", "t", "g").fit(&biennial).unwrap_err();
    assert!(matches!(e, Error::Did(DidError::ReferenceNotObserved { reference: -1, .. })), "{e}");
    let e = TwfeEventStudy::new("y", "u", "t", "g").fit(&biennial).unwrap_err();
    assert!(matches!(e, Error::Did(DidError::ReferenceNotObserved { reference: -1, .. })), "{e}");
    assert!(e.to_string().contains("2 apart"), "{e}");
    let mut far = TwfeEventStudy::new("y", "u", "t", "g");
    far.reference = -100;
    let e = far.fit(&annual()).unwrap_err();
    assert!(matches!(e, Error::Did(DidError::ReferenceNotObserved { reference: -100, .. })), "{e}");
    // An observed reference works, with no event time dropped.
    let mut two = TwfeEventStudy::new("y", "u", "t", "g");
    two.reference = -2;
    let fit = two.fit(&biennial).unwrap();
    assert!(fit.event_times.iter().all(|e| e.estimate.estimate.is_finite() && e.event_time % 2 == 0));
    // Cohort 4 sees only even event times, cohort 5 only odd ones: not identified.
    let mixed = panel(&[2, 4, 6, 8, 10], &[0, 0, 4, 5], 40);
    let e = TwfeEventStudy::new("y", "u", "t", "g").fit(&mixed).unwrap_err();
    assert!(matches!(e, Error::Did(DidError::NotIdentified { .. })), "{e}");
    assert!(e.to_string().contains("cohort(s) 4 of `g` are not observed at the reference event time -1"), "{e}");
}

#[test]
fn single_cluster_is_the_shared_error() {
    let f = annual();
    let single = |e: Error| matches!(e, Error::Data(DataError::SingleCluster { ref name }) if name == "one");
    let mut bjs = DidImputation::new("y", "u", "t", "g");
    bjs.cluster = Some("one".into());
    assert!(single(bjs.fit(&f).unwrap_err()));
    assert!(single(SunAbraham::new("y", "u", "t", "g").cluster("one").fit(&f).unwrap_err()));
    let mut twfe = TwfeEventStudy::new("y", "u", "t", "g");
    twfe.cluster = Some("one".into());
    assert!(single(twfe.fit(&f).unwrap_err()));
    assert!(single(AttGt::new("y", "u", "t", "g").cluster("one").validate().unwrap().fit(&f).unwrap_err()));
}

#[test]
fn fewer_than_two_draws_is_an_error_everywhere() {
    let f = annual();
    let fit = AttGt::new("y", "u", "t", "g").validate().unwrap().fit(&f).unwrap();
    for n_boot in [0, 1] {
        let agg = Aggregate {
            bootstrap: Some(Some(Bootstrap { n_boot, weights: BootstrapWeights::Mammen })),
            ..Aggregate::new(AggregationKind::Dynamic)
        };
        let e = fit.aggregate(&agg).unwrap_err().to_string();
        assert!(e.contains("`bootstrap` must be at least 2 draws"), "{e}");
        let e = AttGt::new("y", "u", "t", "g").bootstrap(n_boot, BootstrapWeights::Mammen).validate().unwrap_err();
        assert!(e.to_string().contains("must be at least 2 draws"), "{e}");
    }
    let two = Aggregate {
        bootstrap: Some(Some(Bootstrap { n_boot: 2, weights: BootstrapWeights::Mammen })),
        seed: Some(1),
        ..Aggregate::new(AggregationKind::Dynamic)
    };
    assert!(fit.aggregate(&two).unwrap().rows.iter().all(|r| r.std_error.is_finite()));
}

#[test]
fn cohort_zero_is_ambiguous_when_zero_is_a_period() {
    let f = panel(&(-3..=4).collect::<Vec<_>>(), &[0, 0, 1, 2, 3], 40);
    let ambiguous = |e: Error| matches!(e, Error::Did(DidError::AmbiguousNeverTreated { n_units: 16, .. }));
    assert!(ambiguous(AttGt::new("y", "u", "t", "g").validate().unwrap().fit(&f).unwrap_err()));
    assert!(ambiguous(SunAbraham::new("y", "u", "t", "g").fit(&f).unwrap_err()));
    assert!(ambiguous(DidImputation::new("y", "u", "t", "g").fit(&f).unwrap_err()));
}

#[test]
fn imputation_horizons_and_pretrends_without_observations() {
    let f = annual();
    let e = DidImputation::new("y", "u", "t", "g").horizons(vec![100]).fit(&f).unwrap_err();
    assert!(matches!(e, Error::Did(DidError::NothingToEstimate { .. })) && e.to_string().contains("100"), "{e}");
    let fit = DidImputation::new("y", "u", "t", "g").horizons(vec![0, 100]).fit(&f).unwrap();
    assert_eq!(fit.event_times.len(), 1);
    assert!(fit.warnings.iter().any(|w| w.message.contains("horizon(s) 100")));
    // Lags covering every untreated period of the treated units are collinear with their
    // unit effects (feols used to drop one silently): an error, found before any large work.
    // More lags than the data have pre-periods are refused up front (inference::limits); as
    // many as the earliest pre-period are not identified.
    let e = DidImputation::new("y", "u", "t", "g").pretrends(1_000_000).fit(&f).unwrap_err();
    assert!(e.to_string().contains("pretrends") && e.to_string().contains("at most 5"), "{e}");
    let e = DidImputation::new("y", "u", "t", "g").pretrends(5).fit(&f).unwrap_err();
    assert!(
        matches!(e, Error::Did(DidError::NotIdentified { .. })) && e.to_string().contains("fewer pretrends"),
        "{e}"
    );
    let three = DidImputation::new("y", "u", "t", "g").pretrends(3).fit(&f).unwrap();
    assert_eq!(three.event_times.iter().filter(|e| e.event_time < 0).count(), 3);
    // Every two years: e = -1 and -3 are never observed; -2 is tested, the others reported.
    let biennial = panel(&[2, 4, 6, 8, 10, 12, 14, 16], &[0, 0, 6, 8, 10], 40);
    let fit = DidImputation::new("y", "u", "t", "g").pretrends(3).fit(&biennial).unwrap();
    let pre: Vec<i64> = fit.event_times.iter().map(|e| e.event_time).filter(|&e| e < 0).collect();
    assert_eq!(pre, vec![-2]);
    assert!(
        fit.warnings.iter().any(|w| w.message.contains("event time(s) -1, -3 have no untreated")),
        "{:?}",
        fit.warnings
    );
}

#[test]
fn imputation_drops_and_reports_collinear_covariates() {
    let f = annual();
    let both = DidImputation::new("y", "u", "t", "g").covariates(["x", "x_copy", "one"]).fit(&f).unwrap();
    let one = DidImputation::new("y", "u", "t", "g").covariates(["x"]).fit(&f).unwrap();
    let w = both.warnings.iter().find(|w| w.code == "collinearity").expect("a collinearity warning");
    assert!(w.message.contains("x_copy") && w.message.contains("one"), "{}", w.message);
    for (a, b) in both.event_times.iter().zip(&one.event_times) {
        assert!((a.estimate.estimate - b.estimate.estimate).abs() < 1e-9);
        assert!((a.estimate.std_error - b.estimate.std_error).abs() < 1e-9);
    }
}
