//! The process-wide interrupt stops long loops (issue 16, item 10). One test in its own test
//! binary (so its own process): the interrupt would stop any other test running beside it.

mod common;

use std::time::{Duration, Instant};

use virkning::data::Factor;
use virkning::inference::{
    check_interrupt, interrupt, randomization_test, wild_bootstrap, BootWeights, Hypothesis, InferenceError, RiTest,
    Running, WildBoot,
};

/// Run `work` while another thread raises the interrupt after 100 ms; returns its error and
/// how long it took.
fn interrupted_after_100ms<T: std::fmt::Debug>(work: impl FnOnce() -> virkning::Result<T>) -> (String, Duration) {
    let running = Running::enter();
    let t0 = Instant::now();
    let stopper = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(100));
        interrupt();
    });
    let out = work();
    let took = t0.elapsed();
    stopper.join().unwrap();
    drop(running);
    (format!("{:?}", out.unwrap_err()), took)
}

#[test]
fn an_interrupt_stops_the_wild_bootstrap_and_randomization_inference() {
    let (g, per) = (40, 5);
    let n = g * per;
    let x: Vec<f64> = (0..2 * n).map(|i| if i < n { 1.0 } else { ((i * 7919) % 101) as f64 / 50.0 - 1.0 }).collect();
    let y: Vec<f64> = (0..n).map(|i| x[n + i] + ((i * 104729) % 97) as f64 / 48.0 - 1.0).collect();
    let f =
        Factor { codes: (0..n).map(|i| (i / per) as u32).collect(), labels: (0..g).map(|c| c.to_string()).collect() };
    let prob = common::one_way_problem(&x, &y, &f);
    let hyp = Hypothesis { label: "x".into(), r_vec: vec![0.0, 1.0], r: 0.0 };
    // 50 million draws: minutes uninterrupted (a debug build), well inside the memory limit.
    let boot = WildBoot::default().reps(50_000_000).weights(BootWeights::Webb).seed(1).validate().unwrap();
    let (e, took) = interrupted_after_100ms(|| wild_bootstrap(&prob, &hyp, &boot));
    assert!(e.contains("Interrupted"), "{e}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // The interrupt is cleared once the last running call has returned.
    assert!(check_interrupt().is_ok());

    // A randomization test whose every permutation takes 1 ms: 10^6 of them would take minutes.
    let ri = RiTest::default().reps(1_000_000).seed(2).validate().unwrap();
    let (e, took) = interrupted_after_100ms(|| {
        randomization_test("d", 20, 5, &ri, |perm| {
            std::thread::sleep(Duration::from_millis(1));
            Ok(perm[0] as f64 + 1.0)
        })
    });
    assert_eq!(e, format!("{:?}", virkning::Error::from(InferenceError::Interrupted)));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(check_interrupt().is_ok());
}
