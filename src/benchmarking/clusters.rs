//! Clusters of comparable units from standardised frame conditions.
//!
//! linfa (the clustering crate named in the design) is not used: its latest release
//! (linfa-clustering 0.8.1) depends on ndarray 0.16 and virkning is on ndarray 0.17, so it would
//! pull a second ndarray and a large dependency tree for two small algorithms. They are
//! implemented here instead:
//! - **k-means**: k-means++ seeding (Arthur & Vassilvitskii 2007), Lloyd iterations until no
//!   assignment changes (at most 300), best within-cluster sum of squares over `n_init` starts;
//! - **Gaussian mixture** (option): diagonal covariances, EM started from the k-means
//!   solution (variances floored at 1e-6), hard assignment to the most probable component;
//! - **number of clusters** when not given: the k in 2..=min(8, n-1) with the largest mean
//!   silhouette (Rousseeuw 1987);
//! - **stability**: the clustering is re-run with `n_seeds` other seeds and compared with the
//!   reported one by the adjusted Rand index (Hubert & Arabie 1985): mean and minimum.
//!
//! Frame conditions are standardised (mean 0, sd 1) first, so each counts equally. Each
//! start uses its own ChaCha8 stream; results do not depend on the thread count.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{ClusterMethod, ClusterSpec};
use super::BenchmarkError;

/// The clustering reported with the benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterReport {
    /// Method.
    pub method: ClusterMethod,
    /// Number of clusters.
    pub k: usize,
    /// `"given"` or `"silhouette"`.
    pub chosen_by: String,
    /// Mean silhouette for each k tried.
    pub silhouette: Vec<(usize, f64)>,
    /// Cluster of each ranked unit (0-based, ordered by size, largest first).
    pub labels: Vec<usize>,
    /// Units per cluster.
    pub sizes: Vec<usize>,
    /// Cluster centres on the standardised scale (k x frame conditions).
    pub centers: Vec<Vec<f64>>,
    /// Mean adjusted Rand index against re-runs with other seeds.
    pub stability_mean_ari: f64,
    /// Smallest adjusted Rand index against those re-runs.
    pub stability_min_ari: f64,
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Standardise columns (sd 1; constant columns become 0).
pub(crate) fn standardise(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = x.len() as f64;
    let f = x.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..f).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n).collect();
    let sd: Vec<f64> =
        (0..f).map(|j| (x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt()).collect();
    x.iter().map(|r| (0..f).map(|j| if sd[j] > 0.0 { (r[j] - mean[j]) / sd[j] } else { 0.0 }).collect()).collect()
}

/// One k-means run from a k-means++ start: (labels, centres, within SS).
fn kmeans_once(x: &[Vec<f64>], k: usize, rng: &mut ChaCha8Rng) -> (Vec<usize>, Vec<Vec<f64>>, f64) {
    let n = x.len();
    let mut centers = vec![x[rng.random_range(0..n)].clone()];
    let mut d2: Vec<f64> = x.iter().map(|p| dist2(p, &centers[0])).collect();
    while centers.len() < k {
        let total: f64 = d2.iter().sum();
        let next = if total > 0.0 {
            let mut u = rng.random_range(0.0..total);
            let mut pick = n - 1;
            for (i, d) in d2.iter().enumerate() {
                if u < *d {
                    pick = i;
                    break;
                }
                u -= d;
            }
            pick
        } else {
            rng.random_range(0..n)
        };
        centers.push(x[next].clone());
        for (d, p) in d2.iter_mut().zip(x) {
            *d = d.min(dist2(p, centers.last().map_or(p, |c| c)));
        }
    }
    let mut labels = vec![usize::MAX; n];
    for _ in 0..300 {
        let mut changed = false;
        for (i, p) in x.iter().enumerate() {
            let best = (0..k).min_by(|&a, &b| dist2(p, &centers[a]).total_cmp(&dist2(p, &centers[b]))).unwrap_or(0);
            if labels[i] != best {
                labels[i] = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let f = x[0].len();
        let mut sums = vec![vec![0.0; f]; k];
        let mut counts = vec![0usize; k];
        for (p, &l) in x.iter().zip(&labels) {
            counts[l] += 1;
            sums[l].iter_mut().zip(p).for_each(|(s, v)| *s += v);
        }
        for c in 0..k {
            if counts[c] > 0 {
                centers[c] = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            } else {
                // Empty cluster: restart it at the point farthest from its centre.
                let far = (0..n)
                    .max_by(|&a, &b| dist2(&x[a], &centers[labels[a]]).total_cmp(&dist2(&x[b], &centers[labels[b]])))
                    .unwrap_or(0);
                centers[c] = x[far].clone();
            }
        }
    }
    let ss = x.iter().zip(&labels).map(|(p, &l)| dist2(p, &centers[l])).sum();
    (labels, centers, ss)
}

fn kmeans(x: &[Vec<f64>], k: usize, n_init: usize, seed: u64) -> (Vec<usize>, Vec<Vec<f64>>) {
    let runs: Vec<_> = (0..n_init)
        .into_par_iter()
        .map(|s| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(s as u64);
            kmeans_once(x, k, &mut rng)
        })
        .collect();
    let best = runs.into_iter().min_by(|a, b| a.2.total_cmp(&b.2)).map(|r| (r.0, r.1));
    best.unwrap_or_default()
}

/// Diagonal Gaussian mixture by EM from a k-means start; hard labels.
fn gmm(x: &[Vec<f64>], k: usize, n_init: usize, seed: u64) -> (Vec<usize>, Vec<Vec<f64>>) {
    let (labels0, mut mu) = kmeans(x, k, n_init, seed);
    let (n, f) = (x.len(), x[0].len());
    let mut var = vec![vec![1.0; f]; k];
    let mut pi = vec![1.0 / k as f64; k];
    let mut resp = vec![vec![0.0; k]; n];
    for (r, &l) in resp.iter_mut().zip(&labels0) {
        r[l] = 1.0;
    }
    let mut last = f64::NEG_INFINITY;
    for _ in 0..500 {
        // M step.
        for c in 0..k {
            let nc: f64 = resp.iter().map(|r| r[c]).sum::<f64>().max(1e-12);
            pi[c] = nc / n as f64;
            for j in 0..f {
                mu[c][j] = resp.iter().zip(x).map(|(r, p)| r[c] * p[j]).sum::<f64>() / nc;
                var[c][j] =
                    (resp.iter().zip(x).map(|(r, p)| r[c] * (p[j] - mu[c][j]).powi(2)).sum::<f64>() / nc).max(1e-6);
            }
        }
        // E step.
        let mut ll = 0.0;
        for (r, p) in resp.iter_mut().zip(x) {
            let logp: Vec<f64> = (0..k)
                .map(|c| {
                    pi[c].ln()
                        - 0.5
                            * (0..f)
                                .map(|j| {
                                    (2.0 * std::f64::consts::PI * var[c][j]).ln()
                                        + (p[j] - mu[c][j]).powi(2) / var[c][j]
                                })
                                .sum::<f64>()
                })
                .collect();
            let m = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = logp.iter().map(|l| (l - m).exp()).sum();
            ll += m + s.ln();
            r.iter_mut().zip(&logp).for_each(|(ri, l)| *ri = (l - m).exp() / s);
        }
        if (ll - last).abs() < 1e-10 * ll.abs().max(1.0) {
            break;
        }
        last = ll;
    }
    let labels = resp.iter().map(|r| (0..k).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap_or(0)).collect();
    (labels, mu)
}

/// Mean silhouette of a labelling.
pub(crate) fn silhouette(x: &[Vec<f64>], labels: &[usize], k: usize) -> f64 {
    let n = x.len();
    let s: f64 = (0..n)
        .map(|i| {
            let mut sum = vec![0.0; k];
            let mut cnt = vec![0usize; k];
            for j in 0..n {
                if j != i {
                    sum[labels[j]] += dist2(&x[i], &x[j]).sqrt();
                    cnt[labels[j]] += 1;
                }
            }
            let own = labels[i];
            if cnt[own] == 0 {
                return 0.0;
            }
            let a = sum[own] / cnt[own] as f64;
            let b = (0..k)
                .filter(|&c| c != own && cnt[c] > 0)
                .map(|c| sum[c] / cnt[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if b.is_finite() {
                (b - a) / a.max(b)
            } else {
                0.0
            }
        })
        .sum();
    s / n as f64
}

/// Adjusted Rand index between two labellings.
pub(crate) fn adjusted_rand(a: &[usize], b: &[usize]) -> f64 {
    let ka = a.iter().copied().max().map_or(0, |m| m + 1);
    let kb = b.iter().copied().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0f64; kb]; ka];
    for (&x, &y) in a.iter().zip(b) {
        table[x][y] += 1.0;
    }
    let c2 = |v: f64| v * (v - 1.0) / 2.0;
    let index: f64 = table.iter().flatten().map(|&v| c2(v)).sum();
    let ra: f64 = table.iter().map(|r| c2(r.iter().sum())).sum();
    let rb: f64 = (0..kb).map(|j| c2(table.iter().map(|r| r[j]).sum())).sum();
    let total = c2(a.len() as f64);
    let expected = ra * rb / total;
    let max = (ra + rb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}

fn run(x: &[Vec<f64>], k: usize, spec: &ClusterSpec, seed: u64) -> (Vec<usize>, Vec<Vec<f64>>) {
    match spec.method {
        ClusterMethod::Kmeans => kmeans(x, k, spec.n_init, seed),
        ClusterMethod::Gmm => gmm(x, k, spec.n_init, seed),
    }
}

/// Relabel clusters by size (largest first).
fn by_size(labels: &[usize], centers: &[Vec<f64>]) -> (Vec<usize>, Vec<Vec<f64>>, Vec<usize>) {
    let k = centers.len();
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut map = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        map[old] = new;
    }
    (
        labels.iter().map(|&l| map[l]).collect(),
        order.iter().map(|&o| centers[o].clone()).collect(),
        order.iter().map(|&o| sizes[o]).collect(),
    )
}

/// Cluster the rows of `frame` (raw frame conditions of the ranked units).
///
/// # Errors
/// [`BenchmarkError::TooManyClusters`] when `k` exceeds the number of units.
pub(crate) fn cluster(frame: &[Vec<f64>], spec: &ClusterSpec, seed: u64) -> Result<ClusterReport, BenchmarkError> {
    let n = frame.len();
    if let Some(k) = spec.k {
        if k > n {
            return Err(BenchmarkError::TooManyClusters { k, n_units: n });
        }
    }
    if n < 3 {
        return Err(BenchmarkError::TooManyClusters { k: spec.k.unwrap_or(2), n_units: n });
    }
    let x = standardise(frame);
    let (k, chosen_by, sil) = match spec.k {
        Some(k) => {
            let (l, _) = run(&x, k, spec, seed);
            (k, "given".to_string(), vec![(k, silhouette(&x, &l, k))])
        }
        None => {
            let ks: Vec<usize> = (2..=8.min(n - 1)).collect();
            let sil: Vec<(usize, f64)> =
                ks.iter().map(|&k| (k, silhouette(&x, &run(&x, k, spec, seed).0, k))).collect();
            let best = sil.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map_or(2, |s| s.0);
            (best, "silhouette".to_string(), sil)
        }
    };
    let (labels, centers) = run(&x, k, spec, seed);
    let (labels, centers, sizes) = by_size(&labels, &centers);
    let aris: Vec<f64> = (1..=spec.n_seeds as u64)
        .map(|s| adjusted_rand(&labels, &run(&x, k, spec, seed.wrapping_add(1_000_003 * s)).0))
        .collect();
    Ok(ClusterReport {
        method: spec.method,
        k,
        chosen_by,
        silhouette: sil,
        labels,
        sizes,
        centers,
        stability_mean_ari: aris.iter().sum::<f64>() / aris.len() as f64,
        stability_min_ari: aris.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Vec<Vec<f64>> {
        let mut x = Vec::new();
        for (cx, cy) in [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)] {
            for i in 0..10 {
                let a = f64::from(i) * 0.7;
                x.push(vec![cx + a.sin() * 0.5, cy + a.cos() * 0.5]);
            }
        }
        x
    }

    #[test]
    fn kmeans_and_gmm_find_three_separated_blobs_and_k_is_chosen() {
        for method in [ClusterMethod::Kmeans, ClusterMethod::Gmm] {
            let spec = ClusterSpec { k: None, method, n_init: 5, n_seeds: 5 };
            let r = cluster(&blobs(), &spec, 1).unwrap();
            assert_eq!(r.k, 3, "{method:?}");
            assert_eq!(r.sizes, vec![10, 10, 10]);
            let truth: Vec<usize> = (0..30).map(|i| i / 10).collect();
            assert!((adjusted_rand(&r.labels, &truth) - 1.0).abs() < 1e-12);
            assert!((r.stability_min_ari - 1.0).abs() < 1e-12);
        }
        let e = cluster(&blobs(), &ClusterSpec { k: Some(31), ..ClusterSpec::default() }, 1).unwrap_err();
        assert!(matches!(e, BenchmarkError::TooManyClusters { k: 31, n_units: 30 }));
    }

    #[test]
    fn adjusted_rand_index_textbook() {
        assert!((adjusted_rand(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // sklearn.metrics.adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424...
        assert!((adjusted_rand(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]) - 0.242_424_242_424_242_4).abs() < 1e-12);
    }
}
