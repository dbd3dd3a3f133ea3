//! Micro-benchmark of the demeaning engine (no extra dependencies): `cargo bench --bench demean`.
//! Times one column on fixest's benchmark designs (workers x 10 years, 23 workers per firm),
//! simple (random firms) and difficult (cyclic firms), at 1M rows. The side-by-side comparison
//! with pyfixest is `bench/bench_feols.py`.

use std::time::Instant;

use virkning::linalg::{DemeanOptions, Demeaner};

fn design(n: usize, difficult: bool) -> (Vec<u32>, Vec<u32>, usize, usize, Vec<f64>) {
    let n_indiv = n / 10;
    let n_firm = n_indiv / 23;
    let mut state: u64 = 42;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let indiv: Vec<u32> = (0..n).map(|i| (i / 10) as u32).collect();
    let firm: Vec<u32> =
        (0..n).map(|i| if difficult { (i % n_firm) as u32 } else { (next() % n_firm as u64) as u32 }).collect();
    let x: Vec<f64> = (0..n).map(|_| (next() % 10_000) as f64 / 1000.0).collect();
    (indiv, firm, n_indiv, n_firm, x)
}

fn main() {
    for (n, difficult) in [(1_000_000, false), (1_000_000, true), (10_000_000, true)] {
        let (indiv, firm, ni, nf, x) = design(n, difficult);
        let mut best = f64::INFINITY;
        let mut iters = 0;
        for _ in 0..3 {
            // A fresh engine each time: the Schur factor is part of the cost.
            let d = Demeaner::new(vec![&indiv, &firm], &[ni, nf], None);
            let mut col = x.clone();
            let t = Instant::now();
            let (out, _) = d.demean(&mut col, &DemeanOptions::default());
            best = best.min(t.elapsed().as_secs_f64());
            iters = out.iterations;
        }
        let kind = if difficult { "difficult" } else { "simple" };
        println!("demean {n} rows, 2 FE, {kind}: {:.3} s ({iters} iterations)", best);
    }
}
