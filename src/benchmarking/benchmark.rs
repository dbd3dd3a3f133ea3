//! `benchmark`: expected outcome, performance, ranks with intervals, shrinkage, funnel,
//! clusters and persistence, put together. See the module docs of each piece.

use super::clusters::cluster;
use super::expected::fit_expected;
use super::funnel::{flag, limits};
use super::params::{Benchmark, DEFAULT_SEED};
use super::persistence::persistence;
use super::prepare::prepare;
use super::ranks::{rank_desc, rank_within, simulate, RankInput};
use super::result::{BenchmarkResult, PeriodPerformance, UnitBenchmark};
use super::shrink::shrink;
use crate::data::Frame;
use crate::inference::RefDist;
use crate::linalg::spd_cholesky_lower;
use crate::results::{Diagnostic, DiagnosticCode, Estimate};
use crate::traits::Validated;
use crate::Result;

impl Benchmark {
    /// Validate and run on `frame`.
    ///
    /// # Errors
    /// See [`Validated::<Benchmark>::fit`].
    pub fn fit(self, frame: &Frame<'_>) -> Result<BenchmarkResult> {
        self.validate()?.fit(frame)
    }
}

impl Validated<Benchmark> {
    /// Run the benchmark.
    ///
    /// # Errors
    /// [`super::BenchmarkError`] for rates outside [0, 1], missing frame conditions, duplicated
    /// units, fewer units than parameters, more clusters than units; data errors for missing or
    /// non-numeric columns; GLM errors (separation) from the expected-outcome model.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<BenchmarkResult> {
        let p: &Benchmark = self;
        let s = prepare(frame, p)?;
        let model = p.resolved_model();
        let ex = fit_expected(&s, model)?;
        let (n, k) = (s.n(), s.k());
        let perf: Vec<f64> = s.rate.iter().zip(&ex.expected).map(|(r, e)| r - e).collect();
        let var: Vec<f64> = ex.sampling_var.iter().zip(&ex.param_var).map(|(a, b)| a + b).collect();
        // Ranked rows: every row, or those of the ranked period.
        let (rows, period_label): (Vec<usize>, Option<String>) = match &s.period {
            None => ((0..n).collect(), None),
            Some(pf) => {
                let lvl = match &p.period {
                    Some(lab) => {
                        pf.labels.iter().position(|l| l == lab).ok_or_else(|| crate::ParamsError::InvalidParam {
                            name: "period",
                            value: lab.clone(),
                            reason: format!("not a period of the data; periods: {}", pf.labels.join(", ")),
                        })?
                    }
                    None => pf.n_levels() - 1,
                };
                ((0..n).filter(|&i| pf.codes[i] as usize == lvl).collect(), Some(pf.labels[lvl].clone()))
            }
        };
        let m = rows.len();
        let d: Vec<f64> = rows.iter().map(|&i| perf[i]).collect();
        let v: Vec<f64> = rows.iter().map(|&i| var[i]).collect();
        // Shrinkage design: intercept and frame conditions of the ranked units.
        let z: Vec<Vec<f64>> =
            rows.iter().map(|&i| std::iter::once(1.0).chain(s.frame[i].iter().copied()).collect()).collect();
        let sh = shrink(&d, &v, &z);
        let clusters = match &p.clusters {
            Some(spec) => {
                let fr: Vec<Vec<f64>> = rows.iter().map(|&i| s.frame[i].clone()).collect();
                Some(cluster(&fr, spec, p.seed.unwrap_or(DEFAULT_SEED))?)
            }
            None => None,
        };
        let seed = p.seed.unwrap_or(DEFAULT_SEED);
        // Three rank vectors (u32 per unit) per draw, then one unit's ranks across draws.
        let bytes = p.n_sim as f64 * (12.0 * rows.len() as f64 + 80.0);
        crate::inference::check_memory("n_sim", p.n_sim, bytes, "the simulated ranks")?;
        let chol = spd_cholesky_lower(&ex.vcov, "coefficient variance")?;
        let x_rows: Vec<Vec<f64>> = rows.iter().map(|&i| (0..k).map(|j| s.x[j * n + i]).collect()).collect();
        let rate: Vec<f64> = rows.iter().map(|&i| s.rate[i]).collect();
        let samp: Vec<f64> = rows.iter().map(|&i| ex.sampling_var[i]).collect();
        let labels = clusters.as_ref().map(|c| c.labels.clone());
        let sim = simulate(
            &RankInput {
                rate: &rate,
                sampling_var: &samp,
                x_rows: &x_rows,
                beta: &ex.fit.coefficients,
                chol: &chol,
                family: ex.family,
                post_mean: &sh.mean,
                post_var: &sh.var,
                cluster: labels.as_deref(),
            },
            p.n_sim,
            seed,
            p.level,
            p.top,
        );
        crate::inference::check_interrupt()?;
        let rank = rank_desc(&d);
        let rank_raw = rank_desc(&rate);
        let rank_shrunk = rank_desc(&sh.mean);
        let rank_cl = labels.as_ref().map(|l| rank_within(&d, l));
        let units: Vec<UnitBenchmark> = (0..m)
            .map(|j| {
                let i = rows[j];
                UnitBenchmark {
                    unit: s.unit.labels[s.unit.codes[i] as usize].clone(),
                    size: s.size.as_ref().map(|z| z[i]),
                    observed: s.rate[i],
                    expected: ex.expected[i],
                    expected_se: ex.param_var[i].sqrt(),
                    performance: d[j],
                    std_error: v[j].sqrt(),
                    rank_raw: rank_raw[j],
                    rank: rank[j],
                    rank_low: sim.shrunk_low[j],
                    rank_high: sim.shrunk_high[j],
                    p_top: sim.shrunk_p_top[j],
                    shrunk: sh.mean[j],
                    shrunk_se: sh.var[j].sqrt(),
                    rank_shrunk: rank_shrunk[j],
                    rank_low_unshrunk: sim.low[j],
                    rank_high_unshrunk: sim.high[j],
                    p_top_unshrunk: sim.p_top[j],
                    funnel: s.size.as_ref().map(|_| flag(d[j], samp[j])),
                    cluster: labels.as_ref().map(|l| l[j]),
                    rank_in_cluster: rank_cl.as_ref().map(|r| r[j]),
                    cluster_rank_low: sim.cluster_low.get(j).copied(),
                    cluster_rank_high: sim.cluster_high.get(j).copied(),
                }
            })
            .collect();
        let funnel = s.size.as_ref().map(|z| limits(&rate, &rows.iter().map(|&i| z[i]).collect::<Vec<_>>()));
        let persistence = match &s.period {
            Some(pf) if pf.n_levels() >= 2 => {
                Some(persistence(&perf, &var, &s.unit.codes, &s.unit.labels, &pf.codes, &pf.labels)?)
            }
            _ => None,
        };
        let panel = match &s.period {
            Some(pf) => (0..n)
                .map(|i| PeriodPerformance {
                    unit: s.unit.labels[s.unit.codes[i] as usize].clone(),
                    period: pf.labels[pf.codes[i] as usize].clone(),
                    observed: s.rate[i],
                    expected: ex.expected[i],
                    performance: perf[i],
                    std_error: var[i].sqrt(),
                })
                .collect(),
            None => Vec::new(),
        };
        let half = m as f64 / 2.0;
        let share_indistinguishable =
            units.iter().filter(|u| u.rank_high - u.rank_low > half).count() as f64 / m as f64;
        let mut warnings = Vec::new();
        if !s.dropped_zero_size.is_empty() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::ZeroSize,
                format!(
                    "{} unit(s) with zero {} excluded: {}",
                    s.dropped_zero_size.len(),
                    p.size.as_deref().unwrap_or("size"),
                    s.dropped_zero_size.join(", ")
                ),
            ));
        }
        if p.size.is_none() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::NoSize,
                "without `size` the sampling noise of each rate is unknown: the residual variance is used, and shrinkage is not informative",
            ));
        }
        let vcov = &ex.vcov;
        let coefficients = s
            .names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                Estimate::new(name.clone(), ex.fit.coefficients[j], vcov[j][j].sqrt(), &RefDist::Normal, 0.05)
            })
            .collect();
        Ok(BenchmarkResult {
            units,
            model: format!("{model:?}").to_lowercase(),
            coefficients,
            tau2: sh.tau2,
            period: period_label,
            n_units: m,
            n_obs: n,
            n_input: s.n_input,
            dropped_zero_size: s.dropped_zero_size.clone(),
            share_indistinguishable,
            funnel,
            persistence,
            clusters,
            level: p.level,
            n_sim: p.n_sim,
            seed,
            top: p.top,
            warnings,
            params: p.clone(),
            version: crate::VERSION.to_string(),
            panel,
        })
    }
}
