//! The `wildboot` option of the event studies (Sun-Abraham, TWFE): each event time's bootstrap
//! p-value and interval equal `feols`' wild cluster bootstrap of the same linear combination of
//! the same model with the same seed; full enumeration is seed-free; bad options are errors.

mod common;

use std::borrow::Cow;

use common::read_csv;
use virkning::data::{Column, Frame};
use virkning::did::{EventStudyResult, SunAbraham, TwfeEventStudy};
use virkning::inference::{BootWeights, WildBoot};
use virkning::regression::{Feols, Vcov};

const DATA: &str = "data/mpdta.csv";

fn floats(frame: &Frame<'_>, name: &str) -> Vec<f64> {
    let c = frame.column(name).unwrap();
    (0..c.len()).map(|i| c.value(i).unwrap()).collect()
}

/// `lemp`, `countyreal`, `year` and a categorical `cell` column (label index 0 = "ref").
fn cell_frame(frame: &Frame<'_>, labels: Vec<String>, cell: Vec<i64>) -> Frame<'static> {
    let mut out = Frame::new();
    for name in ["lemp", "countyreal", "year"] {
        out.push(name, Column::Float(Cow::Owned(floats(frame, name)))).unwrap();
    }
    out.push("cell", Column::Categorical { codes: Cow::Owned(cell), labels }).unwrap();
    out
}

/// Each row's cell (`label(cohort, event time)`); `None` for controls and event time -1.
fn cell_keys(frame: &Frame<'_>, label: impl Fn(i64, i64) -> String) -> Vec<Option<String>> {
    let (year, first) = (floats(frame, "year"), floats(frame, "first_treat"));
    let cell = |t: f64, g: f64| Some(((t - g) as i64, g as i64)).filter(|(e, _)| g > 0.0 && *e != -1);
    year.iter().zip(&first).map(|(t, g)| cell(*t, *g).map(|(e, g)| label(g, e))).collect()
}

/// Labels "ref" then the sorted distinct keys, and each row's code.
fn cells(keys: &[Option<String>], order: impl Fn(&String) -> (i64, i64)) -> (Vec<String>, Vec<i64>) {
    let mut labels: Vec<String> = keys.iter().flatten().cloned().collect();
    labels.sort_by_key(&order);
    labels.dedup();
    labels.insert(0, "ref".into());
    let codes =
        keys.iter().map(|k| k.as_ref().map_or(0, |k| labels.iter().position(|l| l == k).unwrap() as i64)).collect();
    (labels, codes)
}

/// `feols` wild bootstrap of `sum_j w_j cell::label_j = 0` in `lemp ~ i(cell, ref=ref) | countyreal + year`.
fn feols_boot(frame: &Frame<'_>, combo: &[(String, f64)], boot: &WildBoot) -> (f64, (f64, f64)) {
    let params = Feols::new("lemp ~ i(cell, ref=ref) | countyreal + year").vcov(Vcov::cr1(["countyreal"]));
    let terms: Vec<(String, f64)> = combo.iter().map(|(l, w)| (format!("cell::{l}"), *w)).collect();
    let b =
        params.validate().unwrap().wildboot(frame, &terms, 0.0, None, None, &boot.clone().validate().unwrap()).unwrap();
    (b.p_value, b.conf_int.unwrap())
}

fn boot_of(r: &EventStudyResult, e: i64) -> (f64, (f64, f64)) {
    let x = r.at(e).unwrap();
    (x.boot_p_value.unwrap(), (x.boot_conf_low.unwrap(), x.boot_conf_high.unwrap()))
}

#[test]
fn twfe_event_study_bootstrap_equals_feols_wildboot() {
    let frame = read_csv(DATA);
    let keys = cell_keys(&frame, |_, e| e.to_string());
    let (labels, codes) = cells(&keys, |l| (l.parse().unwrap(), 0));
    let direct = cell_frame(&frame, labels, codes);
    let boot = WildBoot::default().reps(999).weights(BootWeights::Webb).seed(7);
    let r =
        TwfeEventStudy::new("lemp", "countyreal", "year", "first_treat").wildboot(boot.clone()).fit(&frame).unwrap();
    assert_eq!(r.event_times.len(), 7);
    for e in [-4, -2, 0, 3] {
        let ours = boot_of(&r, e);
        let theirs = feols_boot(&direct, &[(e.to_string(), 1.0)], &boot);
        assert_eq!(ours, theirs, "event time {e}");
        // The interval brackets the estimate; the estimate's own p-value is coherent with it.
        let est = r.at(e).unwrap().estimate.estimate;
        assert!(ours.1 .0 < est && est < ours.1 .1, "e={e}: {ours:?} vs {est}");
        assert_eq!(ours.0 < 0.05, !(ours.1 .0 < 0.0 && 0.0 < ours.1 .1), "e={e}: p vs interval");
    }
    // The seed used is reported with the options.
    let virkning::did::EventStudyParams::Twfe(p) = &r.params else { panic!("params") };
    assert_eq!(p.wildboot.as_ref().unwrap().seed, Some(7));
    // Without the option: no bootstrap fields.
    let plain = TwfeEventStudy::new("lemp", "countyreal", "year", "first_treat").fit(&frame).unwrap();
    assert!(plain.event_times.iter().all(|x| x.boot_p_value.is_none() && x.boot_conf_low.is_none()));
    assert_eq!(plain.at(0).unwrap().estimate.estimate, r.at(0).unwrap().estimate.estimate);
}

#[test]
fn sun_abraham_bootstrap_equals_feols_wildboot_of_the_weighted_cells() {
    let frame = read_csv(DATA);
    let keys = cell_keys(&frame, |g, e| format!("{g}:{e}"));
    let (labels, codes) = cells(&keys, |l| {
        let (g, e) = l.split_once(':').unwrap();
        (g.parse().unwrap(), e.parse().unwrap())
    });
    let direct = cell_frame(&frame, labels, codes);
    let boot = WildBoot::default().reps(1999).seed(11);
    let r = SunAbraham::new("lemp", "countyreal", "year", "first_treat").wildboot(boot.clone()).fit(&frame).unwrap();
    for e in [-3, -2, 0, 1] {
        let combo: Vec<(String, f64)> = r
            .cohort_effects
            .iter()
            .filter(|c| c.event_time == e)
            .map(|c| (format!("{}:{}", c.cohort, e), c.weight))
            .collect();
        assert!(!combo.is_empty());
        assert_eq!(boot_of(&r, e), feols_boot(&direct, &combo, &boot), "event time {e}");
    }
    assert!(r.event_times.iter().all(|x| x.boot_p_value.is_some()));
}

/// Twelve counties (three of each cohort): 2^12 = 4096 <= 9999 Rademacher draws are enumerated.
#[test]
fn twfe_event_study_full_enumeration_is_seed_free() {
    let frame = read_csv(DATA);
    let (county, first) = (floats(&frame, "countyreal"), floats(&frame, "first_treat"));
    let mut chosen: Vec<f64> = Vec::new();
    for g in [0.0, 2004.0, 2006.0, 2007.0] {
        let mut c: Vec<f64> = county.iter().zip(&first).filter(|(_, f)| **f == g).map(|(c, _)| *c).collect();
        c.dedup();
        chosen.extend(c.into_iter().take(3));
    }
    let rows: Vec<usize> = (0..county.len()).filter(|&i| chosen.contains(&county[i])).collect();
    let mut small = Frame::new();
    for name in ["lemp", "countyreal", "year", "first_treat"] {
        let v = floats(&frame, name);
        small.push(name, Column::Float(Cow::Owned(rows.iter().map(|&i| v[i]).collect()))).unwrap();
    }
    let fit = |seed: u64| {
        TwfeEventStudy::new("lemp", "countyreal", "year", "first_treat")
            .wildboot(WildBoot::default().seed(seed))
            .fit(&small)
            .unwrap()
    };
    let (a, b) = (fit(1), fit(2));
    assert_eq!(a.cluster.1, 12);
    for (x, y) in a.event_times.iter().zip(&b.event_times) {
        assert!(x.boot_p_value.is_some());
        assert_eq!(
            (x.boot_p_value, x.boot_conf_low, x.boot_conf_high),
            (y.boot_p_value, y.boot_conf_low, y.boot_conf_high),
            "event time {}",
            x.event_time
        );
        // Enumerated p-values are multiples of 1 / 4096.
        let p = x.boot_p_value.unwrap() * 4096.0;
        assert!((p - p.round()).abs() < 1e-9, "e={}: p * 2^G = {p}", x.event_time);
    }
}

#[test]
fn bad_bootstrap_options_are_errors() {
    let frame = read_csv(DATA);
    let err = TwfeEventStudy::new("lemp", "countyreal", "year", "first_treat")
        .wildboot(WildBoot::default().reps(0))
        .fit(&frame)
        .unwrap_err();
    assert!(err.to_string().contains("reps"), "{err}");
    let err = SunAbraham::new("lemp", "countyreal", "year", "first_treat")
        .wildboot(WildBoot::default().reps(0))
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("reps"), "{err}");
    let json = r#"{"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first_treat",
                   "wildboot": {"weights": "gaussian"}}"#;
    let err = serde_json::from_str::<SunAbraham>(json).unwrap_err();
    assert!(err.to_string().contains("gaussian"), "{err}");
    let json = r#"{"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first_treat",
                   "wildboot": {"draws": 99}}"#;
    assert!(serde_json::from_str::<TwfeEventStudy>(json).is_err());
}
