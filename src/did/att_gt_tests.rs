//! The closed-form cells (no covariates) against the general 2x2 estimators on random
//! unbalanced panels, for every option that changes which units a cell uses or how.

use std::borrow::Cow;

use super::estimate_all;
use crate::data::{Column, Frame};
use crate::did::{Aggregate, AggregationKind, AttGt, BasePeriod, ControlGroup, EstMethod, GroupTimeEffects};

struct Rng(u64);

impl Rng {
    fn unif(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` units x `t` periods (from 2001), cohorts in 2003..2001+t+1 or never treated (share
/// `never`), about 5% of rows missing and a few missing outcomes, unit weights and 7 clusters.
fn panel(seed: u64, n: usize, t: i64, never: f64) -> Frame<'static> {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut id, mut time, mut g, mut y, mut w, mut cl) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for u in 0..n {
        let coh = if r.unif() < never { 0.0 } else { 2003.0 + (r.unif() * (t - 1) as f64).floor() };
        let (a, wu) = (r.unif() * 4.0, 0.2 + 2.0 * r.unif());
        for s in 0..t {
            if r.unif() < 0.05 {
                continue;
            }
            let period = 2001 + s;
            let eff = if coh > 0.0 && period as f64 >= coh { 0.5 + 0.2 * (period as f64 - coh) } else { 0.0 };
            id.push(1000 + 3 * u as i64);
            time.push(period);
            g.push(coh);
            y.push(if r.unif() < 0.01 { f64::NAN } else { a + 0.3 * s as f64 + eff + r.unif() - 0.5 });
            w.push(wu);
            cl.push((u % 7) as i64);
        }
    }
    let f = Frame::new();
    let f = f.with_column("id", Column::Int(Cow::Owned(id))).unwrap();
    let f = f.with_column("t", Column::Int(Cow::Owned(time))).unwrap();
    let f = f.with_column("g", Column::Float(Cow::Owned(g))).unwrap();
    let f = f.with_column("y", Column::Float(Cow::Owned(y))).unwrap();
    let f = f.with_column("w", Column::Float(Cow::Owned(w))).unwrap();
    f.with_column("cl", Column::Int(Cow::Owned(cl))).unwrap()
}

fn close(what: &str, a: f64, b: f64) {
    if a.is_nan() || b.is_nan() {
        assert!(a.is_nan() && b.is_nan(), "{what}: {a} vs {b}");
        return;
    }
    assert!((a - b).abs() <= 1e-10 * b.abs().max(1e-3), "{what}: closed form {a:.15} vs general {b:.15}");
}

fn compare(tag: &str, fast: &GroupTimeEffects, slow: &GroupTimeEffects) {
    assert_eq!(fast.effects.len(), slow.effects.len(), "{tag}");
    for (a, b) in fast.effects.iter().zip(&slow.effects) {
        let cell = format!("{tag} g{} t{}", a.cohort, a.time);
        assert_eq!((a.cohort, a.time, a.n_treated, a.n_control), (b.cohort, b.time, b.n_treated, b.n_control));
        close(&format!("{cell} att"), a.estimate, b.estimate);
        close(&format!("{cell} se"), a.std_error, b.std_error);
    }
    let dynamic = || Aggregate::new(AggregationKind::Dynamic);
    let options = [
        Aggregate::new(AggregationKind::Simple),
        dynamic(),
        Aggregate::new(AggregationKind::Group),
        Aggregate::new(AggregationKind::Calendar),
        Aggregate { min_e: Some(-1), max_e: Some(1), ..dynamic() },
        Aggregate { balance_e: Some(1), ..dynamic() },
        Aggregate { min_e: Some(0), max_e: Some(2), ..Aggregate::new(AggregationKind::Simple) },
        Aggregate { max_e: Some(1), ..Aggregate::new(AggregationKind::Group) },
    ];
    for opts in options {
        let kind = opts.kind;
        let (a, b) = match (fast.aggregate(&opts), slow.aggregate(&opts)) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                assert_eq!(a.err().map(|e| e.to_string()), b.err().map(|e| e.to_string()), "{tag} {kind:?}");
                continue;
            }
        };
        for (x, y) in a.rows.iter().chain([&a.overall]).zip(b.rows.iter().chain([&b.overall])) {
            assert_eq!(x.key, y.key);
            close(&format!("{tag} {kind:?} {:?} att", x.key), x.estimate, y.estimate);
            close(&format!("{tag} {kind:?} {:?} se", x.key), x.std_error, y.std_error);
        }
    }
}

#[test]
fn closed_form_cells_equal_the_general_estimators() {
    let mut cases = 0;
    for seed in 0..4u64 {
        let never = if seed == 3 { 0.0 } else { 0.3 };
        let frame = panel(seed, 60 + 40 * seed as usize, 5 + seed as i64, never);
        for control in [ControlGroup::NeverTreated, ControlGroup::NotYetTreated] {
            if never == 0.0 && control == ControlGroup::NeverTreated {
                continue;
            }
            for base in [BasePeriod::Varying, BasePeriod::Universal] {
                for (k, method) in [EstMethod::Dr, EstMethod::Ipw, EstMethod::Reg].into_iter().enumerate() {
                    let anticipation = (seed as i64 + k as i64) % 2;
                    let mut p = AttGt::new("y", "id", "t", "g").control_group(control).base_period(base).method(method);
                    p = p.anticipation(anticipation);
                    if (seed + k as u64) % 2 == 0 {
                        p = p.weights("w");
                    }
                    if (seed + k as u64) % 3 == 0 {
                        p = p.cluster("cl");
                    }
                    let tag = format!("seed {seed} {control:?} {base:?} {method:?} ant {anticipation}");
                    let v = p.validate().unwrap();
                    let fast = estimate_all(&v, &frame, true, false).unwrap();
                    let slow = estimate_all(&v, &frame, false, false).unwrap();
                    compare(&tag, &fast, &slow);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 42);
}

/// A sorted balanced panel (ids ascending, periods 2001..2001+t in every unit): cohorts in
/// 2001..=2001+t+1 (first-period and after-the-end cohorts included) or never treated.
fn sorted_panel(seed: u64, n: usize, t: i64) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<f64>) {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut id, mut time, mut g, mut y) = (vec![], vec![], vec![], vec![]);
    for u in 0..n {
        let coh = if r.unif() < 0.3 { 0 } else { 2001 + (r.unif() * (t + 2) as f64) as i64 };
        let a = r.unif() * 4.0;
        for s in 0..t {
            id.push(10 + 2 * u as i64);
            time.push(2001 + s);
            g.push(coh);
            y.push(a + 0.3 * s as f64 + if coh > 0 && 2001 + s >= coh { 0.5 } else { 0.0 } + r.unif());
        }
    }
    (id, time, g, y)
}

thread_local! {
    static GENERAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static UNSHARED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether every cell must get its own design (set by [`unshared_designs`] on this thread).
pub(super) fn unshared() -> bool {
    UNSHARED.with(std::cell::Cell::get)
}

fn unshared_designs<T>(f: impl FnOnce() -> T) -> T {
    UNSHARED.with(|g| g.set(true));
    let out = f();
    UNSHARED.with(|g| g.set(false));
    out
}

/// Whether `prepare` must skip the sorted paths (set by [`general`] on this test's thread).
pub(super) fn general_only() -> bool {
    GENERAL_ONLY.with(std::cell::Cell::get)
}

/// `f` with `prepare` on the general path only.
fn general<T>(f: impl FnOnce() -> T) -> T {
    GENERAL_ONLY.with(|g| g.set(true));
    let out = f();
    GENERAL_ONLY.with(|g| g.set(false));
    out
}

fn frame_of(rows: &[usize], cols: &(Vec<i64>, Vec<i64>, Vec<i64>, Vec<f64>), float_g: bool) -> Frame<'static> {
    let pick_i = |v: &Vec<i64>| Column::Int(Cow::Owned(rows.iter().map(|&i| v[i]).collect()));
    let g = if float_g {
        Column::Float(Cow::Owned(
            rows.iter().map(|&i| if cols.2[i] == 0 { f64::NAN } else { cols.2[i] as f64 }).collect(),
        ))
    } else {
        pick_i(&cols.2)
    };
    Frame::new()
        .with_column("id", pick_i(&cols.0))
        .unwrap()
        .with_column("t", pick_i(&cols.1))
        .unwrap()
        .with_column("g", g)
        .unwrap()
        .with_column("y", Column::Float(Cow::Owned(rows.iter().map(|&i| cols.3[i]).collect())))
        .unwrap()
}

#[test]
fn sorted_panel_fast_path_equals_the_general_path() {
    for seed in 0..3u64 {
        let cols = sorted_panel(seed, 80 + 30 * seed as usize, 4 + seed as i64);
        let n_rows = cols.0.len();
        let sorted: Vec<usize> = (0..n_rows).collect();
        let reversed: Vec<usize> = (0..n_rows).rev().collect();
        for float_g in [false, true] {
            let (fast_frame, slow_frame) = (frame_of(&sorted, &cols, float_g), frame_of(&reversed, &cols, float_g));
            for control in [ControlGroup::NeverTreated, ControlGroup::NotYetTreated] {
                for base in [BasePeriod::Varying, BasePeriod::Universal] {
                    let p = AttGt::new("y", "id", "t", "g").control_group(control).base_period(base);
                    let p = p.anticipation(seed as i64 % 2);
                    assert!(super::sorted::prepare(&p, &fast_frame, true).is_some(), "fast path taken");
                    assert!(super::sorted::prepare(&p, &slow_frame, true).is_none(), "unsorted rows: general path");
                    let v = p.validate().unwrap();
                    let (fast, slow) = (
                        estimate_all(&v, &fast_frame, true, false).unwrap(),
                        general(|| estimate_all(&v, &slow_frame, true, true).unwrap()),
                    );
                    let tag = format!("seed {seed} float {float_g} {control:?} {base:?}");
                    // Reversed rows are put in order for the sorted path: the same numbers, exactly.
                    let sorted_copy = estimate_all(&v, &slow_frame, true, false).unwrap();
                    assert_eq!(format!("{:?}", sorted_copy.effects), format!("{:?}", fast.effects), "{tag}");
                    assert!(!fast.influence.moments.is_empty() && slow.influence.moments.is_empty(), "{tag}");
                    assert!(!slow.influence.outcomes_deferred, "{tag}: general path keeps the outcomes");
                    compare(&tag, &fast, &slow);
                    // Without the outcome copy: the same numbers; a bootstrap needs them back.
                    let mut lean = v.fit_deferred(&fast_frame).unwrap();
                    assert!(lean.influence.outcomes_deferred && lean.influence.y.is_empty(), "{tag}");
                    compare(&format!("{tag} deferred"), &lean, &slow);
                    let boot = Aggregate {
                        bootstrap: Some(Some(crate::did::Bootstrap {
                            n_boot: 50,
                            weights: crate::did::BootstrapWeights::Mammen,
                        })),
                        seed: Some(3),
                        ..Aggregate::new(AggregationKind::Dynamic)
                    };
                    assert!(lean.aggregate(&boot).unwrap_err().to_string().contains("restore_outcomes"));
                    lean.restore_outcomes(&fast_frame).unwrap();
                    let (x, y) = (lean.aggregate(&boot).unwrap(), fast.aggregate(&boot).unwrap());
                    let show =
                        |a: &crate::did::AggregatedEffects| format!("{:?}", (&a.rows, &a.overall, a.critical_value));
                    assert_eq!(show(&x), show(&y), "{tag}");
                    assert_eq!(
                        (fast.timing.clone(), fast.drops.clone()),
                        (slow.timing.clone(), slow.drops.clone()),
                        "{tag}"
                    );
                    assert_eq!(
                        (fast.n_units, fast.n_never_treated, &fast.cohorts),
                        (slow.n_units, slow.n_never_treated, &slow.cohorts)
                    );
                    assert!(fast.timing.treated_after_last_period > 0 && !fast.timing.first_period_treated.is_empty());
                }
            }
        }
    }
}

#[test]
fn sorted_panel_with_bad_values_gives_the_general_errors_and_drops() {
    let cols = sorted_panel(9, 50, 5);
    let sorted: Vec<usize> = (0..cols.0.len()).collect();
    let p = AttGt::new("y", "id", "t", "g");
    let fit = |c: &(Vec<i64>, Vec<i64>, Vec<i64>, Vec<f64>)| {
        let f = frame_of(&sorted, c, false);
        (super::sorted::prepare(&p, &f, true).is_some(), p.fit(&f).map(|r| r.drops).map_err(|e| e.to_string()))
    };
    let mut c = cols.clone();
    c.3[7] = f64::INFINITY;
    let (fast, res) = fit(&c);
    assert!(!fast && res.unwrap_err().contains("infinite"));
    let mut c = cols.clone();
    c.3[7] = f64::NAN;
    let (fast, res) = fit(&c);
    assert!(!fast && res.unwrap().n_unbalanced_units == 1);
    let mut c = cols.clone();
    c.2[6] += 1;
    let (fast, res) = fit(&c);
    let e = res.unwrap_err();
    assert!(!fast && e.contains("12"), "cohort varies within unit 12: {e}");
    let mut c = cols;
    c.2.iter_mut().filter(|g| **g == 0 || **g > 2005).for_each(|g| *g = 2003);
    let (fast, res) = fit(&c);
    assert!(!fast && res.unwrap_err().contains("not_yet_treated"));
}

/// `sorted_panel` plus a time-invariant covariate `x0` (shifting outcomes and cohorts) and a
/// time-varying `x1`, as a frame in row order `rows`.
fn covariate_frame(rows: &[usize], cols: &(Vec<i64>, Vec<i64>, Vec<i64>, Vec<f64>), nt: usize) -> Frame<'static> {
    let x0: Vec<f64> =
        (0..cols.0.len()).map(|i| ((cols.0[i] * 7919) % 101) as f64 / 50.0 + cols.2[i] as f64 / 4000.0).collect();
    let x1: Vec<f64> =
        (0..cols.0.len()).map(|i| x0[i] * 0.5 + ((i * 31) % 17) as f64 / 17.0 + (i % nt) as f64).collect();
    let y: Vec<f64> = (0..cols.0.len()).map(|i| cols.3[i] + 0.4 * x0[i]).collect();
    let pick = |v: &Vec<f64>| Column::Float(Cow::Owned(rows.iter().map(|&i| v[i]).collect()));
    frame_of(rows, &(cols.0.clone(), cols.1.clone(), cols.2.clone(), y.clone()), false)
        .with_column("x0", pick(&x0))
        .unwrap()
        .with_column("x1", pick(&x1))
        .unwrap()
}

#[test]
fn covariate_cells_share_designs_and_the_sorted_path_with_exact_results() {
    let mut cases = 0;
    for seed in 0..2u64 {
        let cols = sorted_panel(seed + 20, 150, 5);
        let n_rows = cols.0.len();
        let sorted: Vec<usize> = (0..n_rows).collect();
        let reversed: Vec<usize> = (0..n_rows).rev().collect();
        let (fast_frame, slow_frame) = (covariate_frame(&sorted, &cols, 5), covariate_frame(&reversed, &cols, 5));
        for covariates in [vec!["x0"], vec!["x0", "x1"]] {
            for control in [ControlGroup::NeverTreated, ControlGroup::NotYetTreated] {
                for method in [EstMethod::Dr, EstMethod::Ipw, EstMethod::Reg] {
                    let p = AttGt::new("y", "id", "t", "g")
                        .control_group(control)
                        .method(method)
                        .covariates(covariates.clone());
                    let tag = format!("seed {seed} {covariates:?} {control:?} {method:?}");
                    assert!(super::sorted::prepare(&p, &fast_frame, true).is_some(), "{tag}: sorted path");
                    let v = p.validate().unwrap();
                    let fast = estimate_all(&v, &fast_frame, true, false).unwrap();
                    // One design per cell (the estimator as it was cell by cell): the same bits.
                    let one_each = unshared_designs(|| estimate_all(&v, &fast_frame, true, false).unwrap());
                    assert_eq!(format!("{:?}", fast.effects), format!("{:?}", one_each.effects), "{tag}");
                    assert!(fast.effects.iter().all(|e| e.estimate.is_finite()), "{tag}");
                    // Shuffled rows through the general path: the same numbers.
                    let slow = general(|| estimate_all(&v, &slow_frame, true, false).unwrap());
                    compare(&tag, &fast, &slow);
                    assert_eq!(fast.drops, slow.drops, "{tag}");
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 24);
}
