//! Micro-benchmark of Callaway & Sant'Anna `att_gt` (no extra dependencies):
//! `cargo bench --bench att_gt [-- UNITS...]` (`ATT_GT_NO_BOOT=1`: without the bootstrap). Data
//! as `bench/bench_att_gt.py`: units x 10 periods, 30% never treated, the rest first treated in
//! periods 4..8, doubly robust, never-treated controls, varying base period, no covariates.
//! Times the panel validation, the fit (and `fit_deferred`, as the Python `att_gt` calls it),
//! the dynamic aggregation and 1,000 multiplier-bootstrap draws of it. The side-by-side
//! comparison with diff-diff, csdid and differences is `bench/bench_att_gt.py`.

use std::borrow::Cow;
use std::time::Instant;

use virkning::data::{Column, Frame, Panel};
use virkning::did::{Aggregate, AggregationKind, AttGt, Bootstrap, BootstrapWeights};

fn frame(n: usize) -> Frame<'static> {
    let mut state: u64 = 7;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let t_n = 10;
    let (mut id, mut t, mut g, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for u in 0..n {
        let coh = if next() < 0.3 { 0 } else { 4 + (next() * 5.0) as i64 };
        let a = next() - 0.5;
        for s in 1..=t_n {
            id.push(u as i64 + 1);
            t.push(s);
            g.push(coh);
            let eff = if coh > 0 && s >= coh { 0.1 * (s - coh + 1) as f64 } else { 0.0 };
            y.push(a + 0.05 * s as f64 + eff + next() - 0.5);
        }
    }
    Frame::new()
        .with_column("id", Column::Int(Cow::Owned(id)))
        .unwrap()
        .with_column("t", Column::Int(Cow::Owned(t)))
        .unwrap()
        .with_column("g", Column::Int(Cow::Owned(g)))
        .unwrap()
        .with_column("y", Column::Float(Cow::Owned(y)))
        .unwrap()
}

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("reps > 0"))
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![50_000, 500_000] } else { sizes };
    for n in sizes {
        let f = frame(n);
        let reps = if n > 100_000 { 4 } else { 10 };
        let (t_panel, _) = best(reps, || Panel::new(&f, "id", "t").unwrap());
        let p = AttGt::new("y", "id", "t", "g");
        let (t_fit, fit) = best(reps, || p.fit(&f).unwrap());
        let v = p.clone().validate().unwrap();
        let (t_lean, _) = best(reps, || v.fit_deferred(&f).unwrap());
        let dynamic = Aggregate::new(AggregationKind::Dynamic);
        let (t_agg, _) = best(reps, || fit.aggregate(&dynamic).unwrap());
        if std::env::var_os("ATT_GT_NO_BOOT").is_some() {
            println!(
                "att_gt {n} units: panel {t_panel:.4} s, fit {t_fit:.4} s (without the outcome copy {t_lean:.4} s), dynamic {t_agg:.4} s"
            );
            continue;
        }
        let mut boot = dynamic.clone();
        boot.bootstrap = Some(Some(Bootstrap { n_boot: 1000, weights: BootstrapWeights::Mammen }));
        boot.seed = Some(1);
        let (t_boot, _) = best(2, || fit.aggregate(&boot).unwrap());
        println!(
            "att_gt {n} units: panel {t_panel:.4} s, fit {t_fit:.4} s, dynamic {t_agg:.4} s, dynamic + 1000 draws {t_boot:.4} s"
        );
    }
}
