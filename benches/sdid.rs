//! Micro-benchmark of synthetic DiD with resampling standard errors on California Proposition 99
//! (38 controls, 19 pre-periods, 12 post): `cargo bench --bench sdid [-- --dump FILE]`.
//! The side-by-side comparison with synthdid-py and diff-diff is `bench/bench_synth.py`.
//! `--dump FILE` writes every estimate, SE and replicate (17 significant digits) so two builds
//! can be compared number for number.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Instant;

use virkning::data::{Column, Frame};
use virkning::synth::{Sdid, SdidMethod, SdidSe};

/// Prop 99 with California treated from `adoption` (and, when given, Nevada from `second`).
fn prop99(second: Option<i64>) -> Frame<'static> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data/california_prop99.csv");
    let text = std::fs::read_to_string(path).expect("Prop 99 csv");
    let (mut state, mut year, mut y, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let (s, t): (String, f64) = (f[0].trim_matches('"').into(), f[1].parse().unwrap());
        let treated = (s == "California" && t >= 1989.0) || (second.is_some_and(|a| s == "Nevada" && t >= a as f64));
        state.push(s);
        year.push(t);
        y.push(f[2].parse::<f64>().unwrap());
        d.push(treated as u8 as f64);
    }
    let mut labels = state.clone();
    labels.sort();
    labels.dedup();
    let codes = state.iter().map(|s| labels.binary_search(s).unwrap() as i64).collect();
    let mut frame = Frame::new();
    frame.push("State", Column::Categorical { codes: Cow::Owned(codes), labels }).unwrap();
    frame.push("Year", Column::Float(Cow::Owned(year))).unwrap();
    frame.push("PacksPerCapita", Column::Float(Cow::Owned(y))).unwrap();
    frame.push("treated", Column::Float(Cow::Owned(d))).unwrap();
    frame
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dump = args.iter().position(|a| a == "--dump").map(|i| args[i + 1].clone());
    let only = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let mut out = String::new();
    let cases: [(&str, Option<i64>, SdidMethod, SdidSe, usize); 7] = [
        ("sdid_placebo", None, SdidMethod::Sdid, SdidSe::Placebo, 200),
        ("sc_placebo", None, SdidMethod::Sc, SdidSe::Placebo, 200),
        ("did_placebo", None, SdidMethod::Did, SdidSe::Placebo, 200),
        ("sdid_bootstrap_2tr", Some(1989), SdidMethod::Sdid, SdidSe::Bootstrap, 200),
        ("sdid_jackknife_2tr", Some(1989), SdidMethod::Sdid, SdidSe::Jackknife, 0),
        ("sdid_staggered_placebo", Some(1995), SdidMethod::Sdid, SdidSe::Placebo, 200),
        ("sdid_staggered_bootstrap", Some(1995), SdidMethod::Sdid, SdidSe::Bootstrap, 200),
    ];
    for (name, second, method, se, reps) in cases {
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let frame = prop99(second);
        let p = Sdid::new("PacksPerCapita", "State", "Year", "treated").method(method).se(se).reps(reps.max(2)).seed(1);
        let mut best = f64::INFINITY;
        let mut r = None;
        for _ in 0..3 {
            let t = Instant::now();
            r = Some(p.clone().fit(&frame).unwrap());
            best = best.min(t.elapsed().as_secs_f64());
        }
        let r = r.unwrap();
        println!(
            "{name:>26}: {:8.2} ms  att {:.6} se {:.6} ({} replicates)",
            best * 1e3,
            r.att(),
            r.std_error(),
            r.replicates.len()
        );
        writeln!(out, "{name} att {:.17e} se {:.17e}", r.att(), r.std_error()).unwrap();
        for c in &r.cohorts {
            for (u, w) in &c.unit_weights {
                writeln!(out, "{name} omega {u} {w:.17e}").unwrap();
            }
            for (t, w) in &c.time_weights {
                writeln!(out, "{name} lambda {t} {w:.17e}").unwrap();
            }
        }
        for (i, v) in r.replicates.iter().enumerate() {
            writeln!(out, "{name} rep {i} {v:.17e}").unwrap();
        }
    }
    if let Some(f) = dump {
        std::fs::write(f, out).unwrap();
    }
}
