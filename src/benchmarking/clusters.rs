//! Clusters of comparable units from standardised frame conditions.
//!
//! The clustering itself is linfa's (linfa-clustering 0.8), behind one small adapter
//! (`linfa_fit`): linfa is on ndarray 0.16 and rand 0.8 while virkning is on ndarray 0.17, so
//! the 98 x p matrix is copied in and labels/centres copied out (ARCHITECTURE.md "Versions").
//! - **k-means**: linfa `KMeans` (k-means++ seeding, Arthur & Vassilvitskii 2007; Lloyd
//!   iterations, at most 300, tolerance 1e-10), best inertia over `n_init` starts;
//! - **Gaussian mixture** (option): linfa `GaussianMixtureModel` (full covariances, EM from a
//!   k-means start, `reg_covariance = 1e-6` as in scikit-learn), best lower bound over `n_init`
//!   starts, hard assignment to the most probable component;
//! - **number of clusters** when not given: the k in 2..=min(8, n-1) with the largest mean
//!   silhouette (Rousseeuw 1987);
//! - **stability**: the clustering is re-run with `n_seeds` other seeds and compared with the
//!   reported one by the adjusted Rand index (Hubert & Arabie 1985): mean and minimum.
//!
//! Frame conditions are standardised (mean 0, sd 1) first, so each counts equally. Each fit
//! (each k tried, each stability seed) has its own seeded Xoshiro256+ stream and the fits run
//! in parallel, so results do not depend on the thread count.

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

/// The linfa adapter: virkning's row vectors in, labels and centres out. linfa 0.8 is on
/// ndarray 0.16 and rand 0.8, so its types never leave this function.
fn linfa_fit(
    x: &[Vec<f64>],
    k: usize,
    method: ClusterMethod,
    n_init: usize,
    seed: u64,
) -> Result<(Vec<usize>, Vec<Vec<f64>>), BenchmarkError> {
    use linfa::traits::{Fit, Predict};
    use linfa_clustering::{GaussianMixtureModel, GmmInitMethod, KMeans};
    use rand_xoshiro::rand_core::SeedableRng as _;

    let f = x.first().map_or(0, Vec::len);
    let records = ndarray16::Array2::from_shape_fn((x.len(), f), |(i, j)| x[i][j]);
    let data = linfa::DatasetBase::from(records);
    let rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
    let failed =
        |reason: String| BenchmarkError::ClusteringFailed { method: format!("{method:?}").to_lowercase(), k, reason };
    let (labels, centers) = match method {
        ClusterMethod::Kmeans => {
            let model = KMeans::params_with_rng(k, rng)
                .n_runs(n_init)
                .max_n_iterations(300)
                .tolerance(1e-10)
                .fit(&data)
                .map_err(|e| failed(e.to_string()))?;
            (model.predict(data.records()), model.centroids().clone())
        }
        ClusterMethod::Gmm => {
            let model = GaussianMixtureModel::params_with_rng(k, rng)
                .n_runs(n_init as u64)
                .init_method(GmmInitMethod::KMeans)
                .reg_covariance(1e-6)
                .tolerance(1e-8)
                .max_n_iterations(500)
                .fit(&data)
                .map_err(|e| failed(e.to_string()))?;
            (model.predict(data.records()), model.means().clone())
        }
    };
    Ok((labels.to_vec(), centers.outer_iter().map(|r| r.to_vec()).collect()))
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

fn run(x: &[Vec<f64>], k: usize, spec: &ClusterSpec, seed: u64) -> Result<(Vec<usize>, Vec<Vec<f64>>), BenchmarkError> {
    linfa_fit(x, k, spec.method, spec.n_init, seed)
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
            let (l, _) = run(&x, k, spec, seed)?;
            (k, "given".to_string(), vec![(k, silhouette(&x, &l, k))])
        }
        None => {
            let ks: Vec<usize> = (2..=8.min(n - 1)).collect();
            let sil = ks
                .par_iter()
                .map(|&k| Ok((k, silhouette(&x, &run(&x, k, spec, seed)?.0, k))))
                .collect::<Result<Vec<(usize, f64)>, BenchmarkError>>()?;
            let best = sil.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map_or(2, |s| s.0);
            (best, "silhouette".to_string(), sil)
        }
    };
    let (labels, centers) = run(&x, k, spec, seed)?;
    let (labels, centers, sizes) = by_size(&labels, &centers);
    let aris = (1..=spec.n_seeds as u64)
        .into_par_iter()
        .map(|s| Ok(adjusted_rand(&labels, &run(&x, k, spec, seed.wrapping_add(1_000_003 * s))?.0)))
        .collect::<Result<Vec<f64>, BenchmarkError>>()?;
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
