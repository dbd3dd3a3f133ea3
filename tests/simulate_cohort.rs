//! The cohort design reproduces its hazard: exponential MLE, Kaplan-Meier against the true
//! survival (Weibull and piecewise constant), the hazard ratio, and censoring.

use virkning::simulate::{CohortDesign, CohortDraw, Hazard};

/// Exponential MLE of the rate (events / exposure) among persons with `treated == d`, and the
/// standard error of its log (1 / sqrt(events)).
fn rate_mle(draw: &CohortDraw, d: f64) -> (f64, f64) {
    let (mut events, mut exposure) = (0.0, 0.0);
    for i in 0..draw.time.len() {
        if draw.treated[i] == d {
            events += draw.event[i];
            exposure += draw.time[i];
        }
    }
    (events / exposure, 1.0 / events.sqrt())
}

/// Kaplan-Meier estimate at `t` and its Greenwood standard error.
fn kaplan_meier(draw: &CohortDraw, t: f64) -> (f64, f64) {
    let mut idx: Vec<usize> = (0..draw.time.len()).collect();
    idx.sort_by(|&a, &b| draw.time[a].total_cmp(&draw.time[b]));
    let n = idx.len();
    let (mut s, mut green) = (1.0, 0.0);
    for (k, &i) in idx.iter().enumerate() {
        if draw.time[i] > t {
            break;
        }
        if draw.event[i] == 1.0 {
            let at_risk = (n - k) as f64;
            s *= 1.0 - 1.0 / at_risk;
            green += 1.0 / (at_risk * (at_risk - 1.0));
        }
    }
    (s, s * green.sqrt())
}

#[test]
fn exponential_mle_recovers_the_rate_and_the_hazard_ratio() {
    let d = CohortDesign::default()
        .persons(40_000, 98)
        .treated_units(49)
        .hazard(Hazard::Exponential { rate: 0.05 })
        .hazard_ratio(1.5)
        .censoring(24.0, 0.01)
        .seed(3)
        .validate()
        .unwrap();
    let draw = d.simulate(0);
    let (r0, se0) = rate_mle(&draw, 0.0);
    let (r1, se1) = rate_mle(&draw, 1.0);
    assert!((r0 / 0.05).ln().abs() < 4.0 * se0, "control rate {r0}");
    assert!((r1 / 0.075).ln().abs() < 4.0 * se1, "treated rate {r1}");
    let log_hr = (r1 / r0).ln();
    assert!((log_hr - 1.5f64.ln()).abs() < 4.0 * (se0 * se0 + se1 * se1).sqrt(), "log HR {log_hr}");
    // Censoring: administrative at 24, drop-out before.
    assert!(draw.time.iter().all(|&t| t > 0.0 && t <= 24.0));
    assert!((0..draw.time.len()).any(|i| draw.event[i] == 0.0 && draw.time[i] < 24.0));
}

#[test]
fn kaplan_meier_follows_the_true_survival() {
    let hazards = [
        Hazard::Weibull { shape: 1.3, scale: 30.0 },
        Hazard::PiecewiseConstant { cuts: vec![6.0, 18.0], rates: vec![0.005, 0.04, 0.02] },
    ];
    for h in hazards {
        let d = CohortDesign::default()
            .persons(20_000, 98)
            .treated_units(0)
            .hazard(h.clone())
            .censoring(60.0, 0.0)
            .seed(4)
            .validate()
            .unwrap();
        let draw = d.simulate(1);
        for t in [3.0, 12.0, 30.0, 50.0] {
            let (km, se) = kaplan_meier(&draw, t);
            let truth = d.survival(t, false);
            assert!((km - truth).abs() < 4.0 * se.max(1e-3), "{h:?} at {t}: KM {km} vs {truth}");
        }
    }
}

#[test]
fn cohorts_are_reproducible_per_replicate_and_assign_by_unit() {
    let d = CohortDesign::default().frailty_sd(0.3).seed(8).validate().unwrap();
    assert_eq!(d.simulate(2), d.simulate(2));
    assert_ne!(d.simulate(2), d.simulate(3));
    let draw = d.simulate(2);
    let mut treated_units = std::collections::BTreeMap::new();
    for i in 0..draw.unit.len() {
        let prev = treated_units.insert(draw.unit[i], draw.treated[i]);
        assert!(prev.is_none() || prev == Some(draw.treated[i]));
    }
    assert!(treated_units.values().filter(|&&t| t == 1.0).count() <= 17);
}
