//! Power with the heterogeneity-robust DiD estimators: under staggered adoption with dynamic
//! effects, Callaway-Sant'Anna, Sun-Abraham and the imputation estimator recover the ATT and their intervals
//! cover it, while TWFE is biased (Goodman-Bacon 2021) and the result says so.

use virkning::simulate::{MdeSearch, PanelDesign, Power, PowerEstimator, PowerRow};

/// Three cohorts (2014, 2016, 2019) of 98 units, 2010-2024, effect 0.03 times `dynamic` by
/// event time.
fn staggered(dynamic: Vec<f64>) -> PanelDesign {
    PanelDesign::default().cohorts([(2014, 6), (2016, 6), (2019, 5)]).effect(0.03).dynamic(dynamic).seed(7)
}

fn row(estimator: PowerEstimator, reps: usize, dynamic: Vec<f64>) -> (PowerRow, Vec<String>) {
    row_weighted(estimator, reps, dynamic, false)
}

fn row_weighted(estimator: PowerEstimator, reps: usize, dynamic: Vec<f64>, weighted: bool) -> (PowerRow, Vec<String>) {
    let power = Power::new(staggered(dynamic)).estimator(estimator).weighted(weighted).reps(reps);
    let res = power.mde(MdeSearch::None).run().unwrap();
    (res.curve[0].clone(), res.warnings.iter().map(|w| w.code.to_string()).collect())
}

fn assert_recovers(estimator: PowerEstimator, reps: usize, coverage: (f64, f64)) -> PowerRow {
    assert_recovers_weighted(estimator, reps, coverage, false)
}

fn assert_recovers_weighted(estimator: PowerEstimator, reps: usize, coverage: (f64, f64), weighted: bool) -> PowerRow {
    let (r, warnings) = row_weighted(estimator, reps, vec![0.3, 0.6, 1.0], weighted);
    assert_eq!(r.n_failed, 0, "{estimator:?}");
    let mc = r.sd_estimate / (reps as f64).sqrt();
    assert!(r.bias.abs() < 3.5 * mc, "{estimator:?}: bias {} (MC se {mc})", r.bias);
    assert!(r.coverage >= coverage.0 && r.coverage <= coverage.1, "{estimator:?}: coverage {}", r.coverage);
    assert!(!warnings.iter().any(|w| w == "twfe_staggered"), "{estimator:?}: {warnings:?}");
    r
}

#[test]
fn callaway_santanna_recovers_the_att_under_staggered_dynamic_effects() {
    assert_recovers(PowerEstimator::AttGt, 200, (0.9, 0.99));
}

#[test]
fn weighted_callaway_santanna_recovers_the_size_weighted_att() {
    let w = assert_recovers_weighted(PowerEstimator::AttGt, 150, (0.88, 1.0), true);
    let u = assert_recovers(PowerEstimator::AttGt, 150, (0.88, 1.0));
    assert!((w.estimand - u.estimand).abs() > 0.0, "the size-weighted estimand differs");
}

#[test]
fn sun_abraham_recovers_the_att_under_staggered_dynamic_effects() {
    assert_recovers(PowerEstimator::SunAbraham, 120, (0.88, 1.0));
}

#[test]
fn imputation_recovers_the_att_under_staggered_dynamic_effects() {
    // The BJS standard error is conservative: coverage at or above nominal.
    assert_recovers(PowerEstimator::Imputation, 120, (0.9, 1.0));
}

#[test]
fn twfe_is_biased_under_staggered_dynamic_effects_and_warns() {
    let reps = 120;
    // Effects growing for six years: already-treated cohorts serve as controls for later ones
    // while their effect still grows, which pulls TWFE down.
    let (r, warnings) = row(PowerEstimator::Twfe, reps, vec![0.2, 0.4, 0.6, 0.8, 1.0, 1.2]);
    let mc = r.sd_estimate / (reps as f64).sqrt();
    assert!(r.bias < -4.0 * mc, "TWFE bias {} (MC se {mc}) should be clearly negative", r.bias);
    assert!(warnings.iter().any(|w| w == "twfe_staggered"));
}
