//! feols on simulated panels with a known effect: the estimate is unbiased and 95 % intervals
//! (CR1 by unit, fixest's corrections) cover the truth at close to the nominal rate.

use std::borrow::Cow;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use virkning::data::{Column, Frame};
use virkning::regression::{Feols, Vcov};

const TRUE_BETA: f64 = 0.5;

/// 100 units x 10 periods; x correlated with the unit effect, errors AR(1) within unit.
fn panel(seed: u64) -> Frame<'static> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let z = Normal::new(0.0, 1.0).unwrap();
    let (n_units, n_periods) = (100usize, 10usize);
    let (mut unit, mut time, mut x, mut y) = (vec![], vec![], vec![], vec![]);
    let year_effect: Vec<f64> = (0..n_periods).map(|_| z.sample(&mut rng)).collect();
    for u in 0..n_units {
        let a = z.sample(&mut rng);
        let mut e = 0.0;
        for t in 0..n_periods {
            let xi = 0.7 * a + z.sample(&mut rng);
            e = 0.5 * e + z.sample(&mut rng);
            unit.push(u as i64);
            time.push(t as i64);
            x.push(xi);
            y.push(TRUE_BETA * xi + a + year_effect[t] + e);
        }
    }
    Frame::new()
        .with_column("unit", Column::Int(Cow::Owned(unit)))
        .unwrap()
        .with_column("year", Column::Int(Cow::Owned(time)))
        .unwrap()
        .with_column("x", Column::Float(Cow::Owned(x)))
        .unwrap()
        .with_column("y", Column::Float(Cow::Owned(y)))
        .unwrap()
}

#[test]
fn twfe_recovers_the_effect_and_cr1_intervals_cover() {
    let reps = 400;
    let (mut sum, mut covered) = (0.0, 0);
    for seed in 0..reps {
        let fit = Feols::new("y ~ x | unit + year").vcov(Vcov::cr1(["unit"])).fit(&panel(seed)).unwrap();
        let e = fit.coef("x").unwrap();
        sum += e.estimate;
        covered += usize::from(e.conf_low <= TRUE_BETA && TRUE_BETA <= e.conf_high);
    }
    let mean = sum / reps as f64;
    let coverage = covered as f64 / reps as f64;
    // Monte Carlo sd of the mean estimate is about 0.0015; of the coverage about 0.011.
    assert!((mean - TRUE_BETA).abs() < 0.006, "mean estimate {mean}");
    assert!((0.925..=0.975).contains(&coverage), "coverage {coverage}");
    println!("mean estimate {mean:.4}, coverage {coverage:.3}");
}
