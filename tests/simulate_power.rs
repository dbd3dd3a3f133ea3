//! Power analysis by simulation: agreement with the analytic power of a known design,
//! unbiasedness and nominal coverage of TWFE under homogeneous effects, the MDE, and
//! results independent of the thread count.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use virkning::simulate::{MdeSearch, PanelDesign, Power, PowerResult, UnitSizes};

/// 98 units, 2010-2024, 17 treated from 2016: T0 = 6 pre and T1 = 9 post periods, iid shocks
/// with sd `sigma`, no sampling noise. TWFE is then the 2x2 DiD of means, with
/// Var = sigma^2 (1/T0 + 1/T1)(1/n1 + 1/n0).
fn iid_design(sigma: f64) -> PanelDesign {
    PanelDesign::default().treated(17, 2016).ar1(0.0, sigma).sizes(UnitSizes::Equal, None).seed(20240501)
}

fn analytic_se(sigma: f64) -> f64 {
    sigma * ((1.0_f64 / 6.0 + 1.0 / 9.0) * (1.0 / 17.0 + 1.0 / 81.0)).sqrt()
}

/// Power of a two-sided t test (t with `df` degrees of freedom for the critical value) when the
/// estimate is normal with mean `delta` and sd `se`.
fn analytic_power(delta: f64, se: f64, df: f64) -> f64 {
    let crit = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975);
    let n = Normal::standard();
    n.cdf(delta / se - crit) + n.cdf(-delta / se - crit)
}

fn run(p: Power) -> PowerResult {
    p.run().unwrap()
}

#[test]
fn power_matches_the_analytic_formula_for_a_known_design() {
    let sigma = 0.02;
    let se = analytic_se(sigma);
    let effects = vec![0.0, 2.5 * se];
    let res = run(Power::new(iid_design(sigma)).effects(effects.clone()).reps(250).mde(MdeSearch::Analytic));
    for (row, &d) in res.curve.iter().zip(&effects) {
        let expected = analytic_power(d, se, 97.0);
        // Monte Carlo error (3 SE) plus a little for the estimated (CR1) standard error.
        let tol = 3.0 * (expected * (1.0 - expected) / 250.0).sqrt() + 0.03;
        assert!((row.power - expected).abs() < tol, "effect {d}: simulated {} vs analytic {expected}", row.power);
        assert!((row.sd_estimate / se - 1.0).abs() < 0.1, "sd {} vs {se}", row.sd_estimate);
        assert_eq!(row.n_failed, 0);
    }
    // Analytic MDE = 2.80 x mean SE, close to 2.80 x the true SE.
    let mde = res.mde.unwrap();
    assert!((mde.multiplier - 2.8016).abs() < 1e-3);
    assert!((mde.analytic / (mde.multiplier * se) - 1.0).abs() < 0.05, "{} vs {}", mde.analytic, mde.multiplier * se);
}

fn assert_unbiased_and_covering(reps: usize, coverage_band: (f64, f64)) {
    let design = PanelDesign::default().treated(17, 2016).effect(0.03).seed(11);
    let res = run(Power::new(design).reps(reps).mde(MdeSearch::None));
    let row = &res.curve[0];
    assert!((row.estimand - 0.03).abs() < 1e-12);
    // Bias within 3 Monte Carlo standard errors.
    let mc = row.sd_estimate / (reps as f64).sqrt();
    assert!(row.bias.abs() < 3.0 * mc, "bias {} (MC se {mc})", row.bias);
    assert!(
        row.coverage >= coverage_band.0 && row.coverage <= coverage_band.1,
        "coverage {} outside {:?}",
        row.coverage,
        coverage_band
    );
    // Reported standard errors estimate the sampling sd.
    assert!((row.mean_se / row.sd_estimate - 1.0).abs() < 0.12, "{} vs {}", row.mean_se, row.sd_estimate);
}

#[test]
fn twfe_is_unbiased_and_covers_under_homogeneous_effects() {
    assert_unbiased_and_covering(200, (0.9, 0.99));
}

#[test]
#[ignore = "slow: 1,000 replications (run with --ignored, release)"]
fn twfe_is_unbiased_and_covers_1000_replications() {
    assert_unbiased_and_covering(1000, (0.935, 0.965));
}

#[test]
fn simulated_mde_agrees_with_the_analytic_approximation() {
    let sigma = 0.02;
    let res = run(Power::new(iid_design(sigma)).reps(120).mde(MdeSearch::Bisection));
    let mde = res.mde.unwrap();
    let simulated = mde.simulated.unwrap();
    assert!((simulated / mde.analytic - 1.0).abs() < 0.15, "simulated {simulated} vs analytic {}", mde.analytic);
    assert!(mde.simulated_power.unwrap() >= 0.8);
    // Bisection evaluated effects on both sides of the target.
    assert!(mde.search.iter().any(|&(_, p)| p < 0.8) && mde.search.iter().any(|&(_, p)| p >= 0.8));
    // The curve is the null run (effect 0), reused for the analytic MDE.
    assert_eq!(res.total_replications, 120 * (1 + mde.search.len()));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let design = PanelDesign::default()
        .cohorts([(2014, 8), (2017, 9)])
        .effect(0.02)
        .dynamic(vec![0.5, 1.0])
        .effect_sd(0.01)
        .seed(5);
    let p = Power::new(design).effects(vec![0.0, 0.02]).reps(20).mde(MdeSearch::Bisection);
    let one = run(p.clone().threads(1));
    let two = run(p.threads(2));
    assert_eq!(serde_json::to_string(&one.curve).unwrap(), serde_json::to_string(&two.curve).unwrap());
    assert_eq!(serde_json::to_string(&one.draws).unwrap(), serde_json::to_string(&two.draws).unwrap());
    assert_eq!(serde_json::to_string(&one.mde).unwrap(), serde_json::to_string(&two.mde).unwrap());
    // Staggered adoption with dynamic effects: TWFE is flagged.
    assert!(one.warnings.iter().any(|w| w.code == "twfe_staggered"));
}

#[test]
fn a_seedless_run_records_its_seed_and_can_be_replayed() {
    let p = Power::new(PanelDesign::default().effect(0.02)).reps(16).mde(MdeSearch::None);
    let first = run(p.clone());
    let replay = run(Power { design: PanelDesign { seed: Some(first.seed), ..p.design.clone() }, ..p });
    assert_eq!(serde_json::to_string(&first.draws).unwrap(), serde_json::to_string(&replay.draws).unwrap());
}
