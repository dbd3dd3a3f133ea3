//! Power with the synthetic-control family and with an estimator fitted outside the runner
//! ([`ReplicateFit`]): synthetic DiD recovers the ATT under staggered adoption and covers it;
//! synthetic control needs one treated unit and has no interval; an outside fit of TWFE gives
//! exactly the built-in TWFE numbers (same replicates, same summary code); a failing outside
//! fit stops the run naming the replicate.

use virkning::regression::{Feols, Vcov};
use virkning::simulate::{
    Fitted, MdeSearch, PanelDesign, PanelDraw, Power, PowerEstimator, ReplicateFit, ScUnit, SimulateError,
};
use virkning::Error;

#[test]
fn sdid_recovers_the_att_under_staggered_dynamic_effects() {
    let reps = 60;
    let design =
        PanelDesign::default().units(50).cohorts([(2014, 5), (2018, 5)]).effect(0.03).dynamic(vec![0.5, 1.0]).seed(17);
    let res = Power::new(design).estimator(PowerEstimator::Sdid).reps(reps).mde(MdeSearch::None).run().unwrap();
    let r = &res.curve[0];
    assert_eq!(r.n_failed, 0);
    // Estimand: cohort 2014 has 11 post periods (first at half strength), 2018 has 7.
    let want = 0.03 * (5.0 * 10.5 + 5.0 * 6.5) / (5.0 * 11.0 + 5.0 * 7.0);
    assert!((r.estimand - want).abs() < 1e-12, "{}", r.estimand);
    let mc = r.sd_estimate / (reps as f64).sqrt();
    assert!(r.bias.abs() < 3.5 * mc, "bias {} (MC se {mc})", r.bias);
    assert!(r.coverage >= 0.85 && r.coverage <= 1.0, "coverage {}", r.coverage);
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
}

#[test]
fn synthetic_control_needs_one_treated_unit_and_has_no_interval() {
    let err = Power::new(PanelDesign::default().seed(1)).estimator(PowerEstimator::SyntheticControl).validate();
    assert!(matches!(err, Err(Error::Simulate(SimulateError::NeedsOneTreated { n_treated: 17, .. }))));
    let chosen = Power::new(PanelDesign::default().seed(1))
        .estimator(PowerEstimator::SyntheticControl)
        .sc_unit(ScUnit::Largest)
        .reps(2)
        .mde(MdeSearch::None)
        .run()
        .unwrap();
    // The estimand is the chosen unit's own effect (the design's, as the effect is constant).
    assert!(chosen.draws[0].iter().all(|d| d.estimand == 0.0 && d.std_error.is_nan()));
    let design = PanelDesign::default().units(12).periods(2000, 2024).treated(1, 2016).effect(0.05).seed(3);
    let res = Power::new(design)
        .estimator(PowerEstimator::SyntheticControl)
        .reps(6)
        .alpha(0.1)
        .mde(MdeSearch::Analytic)
        .run()
        .unwrap();
    let r = &res.curve[0];
    assert!(r.coverage.is_nan() && r.mean_se.is_nan());
    assert!(res.draws[0].iter().all(|d| d.std_error.is_nan() && d.p_value >= 1.0 / 12.0 - 1e-12));
    let mde = res.mde.unwrap();
    assert!(mde.analytic.is_finite() && mde.analytic > 0.0);
}

/// TWFE fitted "outside": the same model as the built-in one.
struct OutsideTwfe;

impl ReplicateFit for OutsideTwfe {
    fn fit(&self, draw: &PanelDraw, _effect: f64, _replicate: u64) -> Result<Fitted, String> {
        let frame = draw.frame().map_err(|e| e.to_string())?;
        let fit = Feols::new("outcome ~ treated | unit + period")
            .vcov(Vcov::cr1(["unit"]))
            .fit(&frame)
            .map_err(|e| e.to_string())?;
        let c = fit.coef("treated").ok_or("no treated coefficient")?;
        // Only estimate and SE: p-value and interval come from the runner (normal).
        Ok(Fitted {
            estimate: c.estimate,
            std_error: c.std_error,
            p_value: c.p_value,
            conf_low: f64::NAN,
            conf_high: f64::NAN,
        })
    }
}

#[test]
fn an_outside_fit_runs_on_the_same_replicates_and_summary() {
    let design = PanelDesign::default().effect(0.02).seed(5);
    let power = Power::new(design).reps(25).effects(vec![0.0, 0.02]).mde(MdeSearch::Bisection);
    let builtin = power.clone().run().unwrap();
    let outside = power.validate().unwrap().run_with(&Default::default(), Some(&OutsideTwfe)).unwrap();
    for (a, b) in builtin.curve.iter().zip(&outside.curve) {
        assert_eq!(a.power, b.power);
        assert_eq!(a.bias, b.bias);
        assert_eq!(a.rmse, b.rmse);
        assert_eq!(a.mean_se, b.mean_se);
    }
    let (m1, m2) = (builtin.mde.unwrap(), outside.mde.unwrap());
    assert_eq!(m1.search, m2.search);
    // The interval is filled in from the normal distribution, the p-value kept.
    let d = outside.draws[1][0];
    assert!((d.conf_high - d.estimate - 1.959963984540054 * d.std_error).abs() < 1e-15);
    assert_eq!(d.p_value, builtin.draws[1][0].p_value);
}

struct FailsOn(u64);

impl ReplicateFit for FailsOn {
    fn fit(&self, draw: &PanelDraw, effect: f64, replicate: u64) -> Result<Fitted, String> {
        if replicate >= self.0 {
            return Err("boom".into());
        }
        OutsideTwfe.fit(draw, effect, replicate)
    }
}

#[test]
fn a_failing_outside_fit_names_the_earliest_replicate() {
    // One thread: replicates run in order, so the first failing one is the one reported.
    let power = Power::new(PanelDesign::default().seed(2)).reps(8).threads(1).mde(MdeSearch::None);
    let err = power.validate().unwrap().run_with(&Default::default(), Some(&FailsOn(3))).unwrap_err();
    match err {
        Error::Simulate(SimulateError::CallableFailed { replicate, message, .. }) => {
            assert_eq!(replicate, 3);
            assert_eq!(message, "boom");
        }
        e => panic!("{e}"),
    }
    let callable = Power::new(PanelDesign::default().seed(2)).estimator(PowerEstimator::Callable).reps(2);
    assert!(matches!(callable.run(), Err(Error::Params(_))));
}
