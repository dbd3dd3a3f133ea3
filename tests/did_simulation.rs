//! Recovery and coverage of Callaway & Sant'Anna on the bundled staggered simulator
//! (`simulate::simulate_staggered`, true dynamic effect 0.5 + 0.2 e from e = 0, 0 before).
//! The cheap test runs by default; the 500-replication coverage test is `#[ignore]`d:
//! `cargo test --release --test did_simulation -- --ignored`.

use virkning::did::{Aggregate, AggregationKind, AttGt, ControlGroup, EstMethod};
use virkning::simulate::{simulate_staggered, staggered_true_effect, StaggeredPanelParams};

/// Share of (replication, event time) pairs whose 95% interval covers the truth, and the mean
/// estimate error, over `reps` panels.
fn coverage(reps: u64, n_units: usize, method: EstMethod, gamma: f64, covariates: bool) -> (f64, f64, usize) {
    let (mut hit, mut total, mut err) = (0usize, 0usize, 0.0);
    for r in 0..reps {
        let p = StaggeredPanelParams { n_units, n_periods: 6, gamma, seed: 1000 + r, ..Default::default() };
        let f = simulate_staggered(&p).unwrap();
        let mut params =
            AttGt::new("y", "unit", "period", "cohort").method(method).control_group(ControlGroup::NotYetTreated);
        if covariates {
            params = params.covariates(["x"]);
        }
        let fit = params.fit(&f).unwrap();
        let dynamic = fit.aggregate(&Aggregate::new(AggregationKind::Dynamic)).unwrap();
        for row in &dynamic.rows {
            let truth = staggered_true_effect(row.key.unwrap());
            hit += usize::from(row.conf_low <= truth && truth <= row.conf_high);
            err += row.estimate - truth;
            total += 1;
        }
    }
    (hit as f64 / total as f64, err / total as f64, total)
}

#[test]
fn recovers_dynamic_effects_and_covers_cheaply() {
    let (cov, bias, total) = coverage(40, 300, EstMethod::Dr, 0.3, true);
    assert!(bias.abs() < 0.03, "mean error {bias}");
    assert!((0.88..=0.995).contains(&cov), "coverage {cov} over {total}");
}

#[test]
fn without_the_covariate_conditional_trends_bias_the_estimate() {
    // gamma != 0: trends depend on x, which drives adoption; ignoring x biases the effects.
    let (_, bias, _) = coverage(10, 400, EstMethod::Reg, 0.3, false);
    assert!(bias > 0.1, "mean error {bias}");
}

#[test]
#[ignore = "slow: 500 replications (run with --release -- --ignored)"]
fn dynamic_intervals_cover_at_the_nominal_rate() {
    for (method, covariates) in [(EstMethod::Dr, true), (EstMethod::Reg, false)] {
        let gamma = if covariates { 0.3 } else { 0.0 };
        let (cov, bias, total) = coverage(500, 500, method, gamma, covariates);
        eprintln!("{method:?}: coverage {cov:.4} over {total} intervals, mean error {bias:.5}");
        assert!((0.93..=0.97).contains(&cov), "{method:?}: coverage {cov}");
        assert!(bias.abs() < 0.01);
    }
}
