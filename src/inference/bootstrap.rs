//! Multiplier bootstrap of influence functions with uniform (sup-t) bands, as R `did`'s
//! `mboot` (Callaway & Sant'Anna 2021, section 4.2).
//!
//! Draw $b$ perturbs the cluster sums $S_{ck} = \sum_{i \in c} \psi_{ik}$ of the influence
//! functions with i.i.d. multipliers $v_{bc}$ (mean 0, variance 1):
//! $\hat\theta^*_{bk} - \hat\theta_k = \frac{1}{n} \sum_c v_{bc} S_{ck}$. The standard error of
//! column $k$ is the interquartile range of the draws over $q_{0.75} - q_{0.25}$ of the normal
//! (robust, R `did`'s choice), and the uniform critical value is the $1-\alpha$ quantile of
//! $\max_k |\hat\theta^*_{bk} - \hat\theta_k| / \hat\sigma_k$. With one unit per cluster this is
//! R `did`'s unit bootstrap exactly; with larger clusters it uses cluster sums, which equals
//! R `did`'s cluster-mean version when clusters have equal sizes.
//!
//! Multipliers come from the shared [`DrawPlan`] (one seeded ChaCha8 stream per block of draws),
//! so results do not depend on the number of threads.

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use super::boot_weights::{BootWeights, DrawPlan};
use crate::linalg::{matmul_cm, matmul_tn};

/// Draws of a multiplier bootstrap: `n_boot x k`, column-major.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiplierDraws {
    /// Draws of each column, column after column.
    pub draws: Vec<f64>,
    /// Number of draws.
    pub n_boot: usize,
    /// Number of columns.
    pub k: usize,
}

/// Run the bootstrap on cluster sums `sums` (column-major `n_clusters x k`); each draw is
/// `scale * sum_c v_c S_ck` (use `scale = 1/n`). Draws come from the shared [`DrawPlan`]
/// (blocks of seeded streams; Rademacher weights with `2^G <= n_boot` enumerate every sign
/// vector, so `n_boot` in the result can differ from the request).
///
/// # Errors
/// [`crate::ParamsError::InvalidParam`] (option `bootstrap`) when the draws would not fit in the
/// memory limit ([`super::check_memory`]), checked before allocating;
/// [`super::InferenceError::Interrupted`] when interrupted (checked once per block of draws).
pub fn multiplier_bootstrap(
    sums: &[f64],
    n_clusters: usize,
    k: usize,
    scale: f64,
    n_boot: usize,
    weights: BootWeights,
    seed: u64,
) -> crate::Result<MultiplierDraws> {
    let plan = DrawPlan::new(n_clusters, n_boot, weights, seed);
    // The draws, the products they are assembled from, and a sorted column at a time.
    let bytes = 8.0 * plan.reps as f64 * (2.0 * k as f64 + 1.0);
    super::check_memory("bootstrap", n_boot, bytes, "the multiplier bootstrap draws")?;
    let draws = if plan.seekable() && n_clusters > 0 && k > 0 {
        chunked(&plan, sums, n_clusters, k, scale)
    } else {
        blocked(&plan, sums, n_clusters, k, scale)
    };
    super::check_interrupt()?;
    Ok(draws)
}

/// Block after block of multipliers, each `n_clusters x 256`, times `sums`.
fn blocked(plan: &DrawPlan, sums: &[f64], n_clusters: usize, k: usize, scale: f64) -> MultiplierDraws {
    let run = |j: usize| {
        let range = plan.block_range(j);
        if super::interrupted() {
            return (range.start, 0, Vec::new());
        }
        let v = plan.block(j);
        (range.start, range.len(), matmul_tn(&v, sums, n_clusters, range.len(), k))
    };
    // Blocks in parallel while a block of multipliers is small; one at a time otherwise.
    let parts: Vec<(usize, usize, Vec<f64>)> = if n_clusters <= 20_000 {
        (0..plan.n_blocks()).into_par_iter().map(run).collect()
    } else {
        (0..plan.n_blocks()).map(run).collect()
    };
    let reps = plan.reps;
    let mut draws = vec![0.0; reps * k];
    for (b0, nb, prod) in parts {
        for j in 0..k {
            for b in 0..nb {
                draws[j * reps + b0 + b] = scale * prod[j * nb + b];
            }
        }
    }
    MultiplierDraws { draws, n_boot: reps, k }
}

/// Clusters per task of [`chunked`] (at least; at most 64 chunks per block).
const CHUNK: usize = 2048;
/// Draws generated and multiplied at a time.
const SUB: usize = 32;

/// [`multiplier_bootstrap`] without materialising blocks of `n_clusters x 256` multipliers:
/// tasks are (block of draws, chunk of clusters), run in parallel; each generates only its
/// part of the block ([`DrawPlan::block_part`], the same values) `SUB` draws at a time and
/// multiplies them by its rows of `sums`. Partial products are added in task order, so the
/// draws do not depend on the number of threads. Memory: `CHUNK x SUB` multipliers per task.
fn chunked(plan: &DrawPlan, sums: &[f64], g: usize, k: usize, scale: f64) -> MultiplierDraws {
    let n_chunks = g.div_ceil(CHUNK).min(64);
    let chunk = g.div_ceil(n_chunks);
    let tasks: Vec<(usize, usize)> = (0..plan.n_blocks()).flat_map(|j| (0..n_chunks).map(move |q| (j, q))).collect();
    let partial = |&(j, q): &(usize, usize)| -> Vec<f64> {
        if super::interrupted() {
            return Vec::new();
        }
        let (h0, h1) = (q * chunk, ((q + 1) * chunk).min(g));
        let m = h1 - h0;
        // Rows h0..h1 of `sums`, transposed: column-major k x m.
        let mut st = vec![0.0; k * m];
        for kk in 0..k {
            for (h, v) in sums[kk * g + h0..kk * g + h1].iter().enumerate() {
                st[h * k + kk] = *v;
            }
        }
        let len = plan.block_range(j).len();
        let mut out = Vec::with_capacity(k * len);
        let mut v = vec![0.0; m * SUB];
        for c0 in (0..len).step_by(SUB) {
            let nc = SUB.min(len - c0);
            for c in 0..nc {
                plan.block_part(j, (c0 + c) * g + h0, &mut v[c * m..(c + 1) * m]);
            }
            out.extend(matmul_cm(&st, &v[..m * nc], k, m, nc));
        }
        out
    };
    let parts: Vec<Vec<f64>> = tasks.par_iter().map(partial).collect();
    let reps = plan.reps;
    let mut draws = vec![0.0; reps * k];
    for (&(j, _), part) in tasks.iter().zip(&parts) {
        let b0 = plan.block_range(j).start;
        for (c, col) in part.chunks(k).enumerate() {
            for (kk, v) in col.iter().enumerate() {
                draws[kk * reps + b0 + c] += v;
            }
        }
    }
    draws.iter_mut().for_each(|d| *d *= scale);
    MultiplierDraws { draws, n_boot: reps, k }
}

/// Type-1 (inverse empirical CDF) quantile of sorted values.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[idx - 1]
}

impl MultiplierDraws {
    /// Draws of column `j`.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.draws[j * self.n_boot..(j + 1) * self.n_boot]
    }

    /// Bootstrap standard error of every column: IQR / (z_0.75 - z_0.25); `NaN` when degenerate.
    pub fn std_errors(&self) -> Vec<f64> {
        let z = Normal::standard();
        let width = z.inverse_cdf(0.75) - z.inverse_cdf(0.25);
        (0..self.k)
            .map(|j| {
                let mut s: Vec<f64> = self.column(j).to_vec();
                s.sort_by(f64::total_cmp);
                let se = (quantile_sorted(&s, 0.75) - quantile_sorted(&s, 0.25)) / width;
                if se > 0.0 && se.is_finite() {
                    se
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// Uniform critical value over the columns `cols` whose `se` is finite: the 1 - alpha
    /// quantile of the maximum absolute t-statistic across draws. `NaN` if no column qualifies.
    pub fn sup_t_critical(&self, se: &[f64], cols: &[usize], alpha: f64) -> f64 {
        let use_cols: Vec<usize> = cols.iter().copied().filter(|&j| se[j].is_finite() && se[j] > 0.0).collect();
        if use_cols.is_empty() {
            return f64::NAN;
        }
        let mut tmax: Vec<f64> = (0..self.n_boot)
            .map(|b| use_cols.iter().map(|&j| (self.draws[j * self.n_boot + b] / se[j]).abs()).fold(0.0, f64::max))
            .collect();
        tmax.sort_by(f64::total_cmp);
        quantile_sorted(&tmax, 1.0 - alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_draws_equal_whole_blocks() {
        // Several cluster chunks and blocks, a partial last block.
        let (g, k) = (5000, 3);
        let sums: Vec<f64> = (0..g * k).map(|i| ((i * 7919 % 1013) as f64 - 506.0) / 100.0).collect();
        for w in [BootWeights::Mammen, BootWeights::Rademacher] {
            let plan = DrawPlan::new(g, 600, w, 3);
            let (a, b) = (chunked(&plan, &sums, g, k, 0.5), blocked(&plan, &sums, g, k, 0.5));
            assert_eq!((a.n_boot, a.k), (b.n_boot, b.k));
            for (x, y) in a.draws.iter().zip(&b.draws) {
                assert!((x - y).abs() < 1e-11 * y.abs().max(1.0), "{w:?}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn bootstrap_se_matches_analytic_and_is_thread_independent() {
        // 400 units, psi_i = i-dependent values; analytic se = sqrt(sum psi^2) / n.
        let n = 400;
        let psi: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 10.0).collect();
        let analytic = psi.iter().map(|v| v * v).sum::<f64>().sqrt() / n as f64;
        let d = multiplier_bootstrap(&psi, n, 1, 1.0 / n as f64, 4000, BootWeights::Mammen, 7).unwrap();
        let se = d.std_errors()[0];
        assert!((se / analytic - 1.0).abs() < 0.06, "{se} vs {analytic}");
        let again = multiplier_bootstrap(&psi, n, 1, 1.0 / n as f64, 4000, BootWeights::Mammen, 7).unwrap();
        assert_eq!(d, again);
        let r = multiplier_bootstrap(&psi, n, 1, 1.0 / n as f64, 4000, BootWeights::Rademacher, 7).unwrap();
        assert!((r.std_errors()[0] / analytic - 1.0).abs() < 0.06);
        // One column: the sup-t critical value is the pointwise normal quantile.
        let c = d.sup_t_critical(&[se], &[0], 0.05);
        assert!((c - 1.96).abs() < 0.12, "{c}");
    }

    #[test]
    fn draws_that_would_not_fit_in_memory_are_refused_before_allocating() {
        // 10^8 draws of 1000 columns: 1.5 TiB; refused at once, nothing allocated.
        let e = multiplier_bootstrap(&[1.0; 1000 * 50], 50, 1000, 1.0, 100_000_000, BootWeights::Mammen, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`bootstrap`") && e.contains("TiB") && e.contains("VIRKNING_MEMORY_LIMIT"), "{e}");
    }
}
