//! Variance-covariance estimators for linear models: iid, heteroskedasticity-robust (HC1, HC3),
//! cluster-robust CR1 (one-way and multi-way, Cameron, Gelbach & Miller 2011) and CR3 (the
//! leave-one-cluster-out jackknife, MacKinnon, Nielsen & Webb 2023).
//!
//! # Model
//! With bread $B = (\tilde X' W \tilde X)^{-1}$ and scores $s_i = w_i e_i \tilde x_i$:
//! iid $V = \hat\sigma^2 B$ with $\hat\sigma^2 = \sum_i w_i e_i^2 / (N - K)$;
//! HC1 $V = \frac{N}{N-K} B (\sum_i s_i s_i') B$;
//! HC3 $V = \frac{N}{N-K} B (\sum_i s_i s_i' / (1-h_i)^2) B$ (the factor as fixest/pyfixest);
//! CR1 $V = \frac{G}{G-1}\frac{N-1}{N-K} B (\sum_g S_g S_g') B$ with $S_g = \sum_{i \in g} s_i$;
//! multi-way CR1 sums the one-way variances of every intersection of cluster variables with
//! alternating signs and repairs negative eigenvalues;
//! CR3 $V = \frac{G}{G-1}\frac{N-1}{N-K}\sum_g (\hat\beta_{-g} - \hat\beta)(\hat\beta_{-g} - \hat\beta)'$.

use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::SmallSampleCorrection;
use crate::data::Factor;
use crate::error::ParamsError;
use crate::linalg::{psd_repair, sandwich, spd_solve_inverse};

/// Which variance estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VcovType {
    /// Homoskedastic errors.
    Iid,
    /// Heteroskedasticity-robust with the N/(N-K) correction (fixest's "hetero").
    Hc1,
    /// Heteroskedasticity-robust with leverage correction.
    Hc3,
    /// Cluster-robust (one or more cluster variables).
    Cr1,
    /// Cluster jackknife (one cluster variable).
    Cr3,
}

impl VcovType {
    /// Valid names, as accepted by [`FromStr`].
    pub const NAMES: [&'static str; 8] = ["iid", "hetero", "HC1", "HC3", "CR1", "CRV1", "CR3", "CRV3"];
}

impl FromStr for VcovType {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "iid" | "standard" => Ok(VcovType::Iid),
            "hetero" | "hc1" | "white" => Ok(VcovType::Hc1),
            "hc3" => Ok(VcovType::Hc3),
            "cr1" | "crv1" | "cluster" => Ok(VcovType::Cr1),
            "cr3" | "crv3" => Ok(VcovType::Cr3),
            _ => Err(ParamsError::UnknownChoice {
                name: "vcov",
                value: s.to_string(),
                valid: VcovType::NAMES.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }
}

/// The pieces every variance needs: demeaned design, residuals, weights and the bread.
#[derive(Debug, Clone, Copy)]
pub struct Scores<'a> {
    /// Demeaned regressors, column-major `n x k`.
    pub x: &'a [f64],
    /// Rows.
    pub n: usize,
    /// Columns.
    pub k: usize,
    /// Residuals.
    pub resid: &'a [f64],
    /// Optional weights.
    pub weights: Option<&'a [f64]>,
    /// $(\tilde X' W \tilde X)^{-1}$, row-major.
    pub bread: &'a [Vec<f64>],
}

impl Scores<'_> {
    #[inline]
    fn w(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// Weighted residual sum of squares.
    pub fn rss(&self) -> f64 {
        (0..self.n).map(|i| self.w(i) * self.resid[i] * self.resid[i]).sum()
    }

    /// $\sum_i u_i^2 \tilde x_i \tilde x_i'$ for per-row multipliers `u` (score = u x).
    fn meat_rows(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let k = self.k;
        let n = self.n;
        let u2: Vec<f64> = u.iter().map(|v| v * v).collect();
        let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a..k).map(move |b| (a, b))).collect();
        let vals: Vec<f64> = pairs
            .par_iter()
            .map(|&(a, b)| {
                let (xa, xb) = (&self.x[a * n..(a + 1) * n], &self.x[b * n..(b + 1) * n]);
                xa.iter().zip(xb).zip(&u2).map(|((p, q), s)| p * q * s).sum()
            })
            .collect();
        symmetric(k, &pairs, vals)
    }

    /// Cluster score sums $S_g$ (G x k, stored per column) and their cross-product.
    fn meat_clusters(&self, f: &Factor) -> Vec<Vec<f64>> {
        let sums = self.cluster_sums(f);
        let k = self.k;
        let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a..k).map(move |b| (a, b))).collect();
        let vals: Vec<f64> =
            pairs.par_iter().map(|&(a, b)| sums[a].iter().zip(&sums[b]).map(|(p, q)| p * q).sum()).collect();
        symmetric(k, &pairs, vals)
    }

    /// For each regressor, the sum of scores within each cluster.
    fn cluster_sums(&self, f: &Factor) -> Vec<Vec<f64>> {
        let n = self.n;
        let g = f.n_levels();
        (0..self.k)
            .into_par_iter()
            .map(|a| {
                let xa = &self.x[a * n..(a + 1) * n];
                let mut s = vec![0.0; g];
                for i in 0..n {
                    s[f.codes[i] as usize] += self.w(i) * self.resid[i] * xa[i];
                }
                s
            })
            .collect()
    }

    /// iid variance: $\hat\sigma^2 B$.
    pub fn iid(&self, n_params: usize, ssc: &SmallSampleCorrection) -> Vec<Vec<f64>> {
        let n = self.n as f64;
        let sigma2 = self.rss() / (n - 1.0) * ssc.adj_factor(self.n, n_params);
        scale(self.bread, sigma2)
    }

    /// HC1 variance (with fixest's corrections: (N-1)/(N-K) times N/(N-1)).
    pub fn hc1(&self, n_params: usize, ssc: &SmallSampleCorrection) -> Vec<Vec<f64>> {
        let u: Vec<f64> = (0..self.n).map(|i| self.w(i) * self.resid[i]).collect();
        let v = sandwich(self.bread, &self.meat_rows(&u));
        scale(&v, ssc.adj_factor(self.n, n_params) * ssc.cluster_factor(self.n))
    }

    /// HC3 variance given the leverage of every row (before the small-sample factor).
    pub fn hc3(&self, leverage: &[f64]) -> Vec<Vec<f64>> {
        let u: Vec<f64> = (0..self.n).map(|i| self.w(i) * self.resid[i] / (1.0 - leverage[i])).collect();
        sandwich(self.bread, &self.meat_rows(&u))
    }

    /// Leverage of the regressors: $h_i = w_i \tilde x_i' B \tilde x_i$.
    pub fn leverage(&self) -> Vec<f64> {
        let (n, k) = (self.n, self.k);
        (0..n)
            .into_par_iter()
            .map(|i| {
                let mut h = 0.0;
                for a in 0..k {
                    let xa = self.x[a * n + i];
                    for b in 0..k {
                        h += xa * self.bread[a][b] * self.x[b * n + i];
                    }
                }
                self.w(i) * h
            })
            .collect()
    }

    /// One- or multi-way CR1. Returns the variance and whether a PSD repair was applied.
    pub fn cr1(&self, clusters: &[&Factor], n_params: usize, ssc: &SmallSampleCorrection) -> (Vec<Vec<f64>>, bool) {
        let d = clusters.len();
        let mut total = vec![vec![0.0; self.k]; self.k];
        for term in super::multiway::multiway_terms(clusters, self.n, n_params, ssc) {
            let v = sandwich(self.bread, &self.meat_clusters(&term.factor));
            let c = term.weight;
            for (ta, va) in total.iter_mut().zip(&v) {
                for (t, x) in ta.iter_mut().zip(va) {
                    *t += c * x;
                }
            }
        }
        if d > 1 {
            psd_repair(&total)
        } else {
            (total, false)
        }
    }

    /// CR3 deltas $\hat\beta_{-g} - \hat\beta$ for every cluster, by the exact downdating formula
    /// $-(A - A_g)^{-1} X_g' W e_g$ (exact when no fixed effect is absorbed).
    pub fn cr3_deltas(&self, cluster: &Factor, gram: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (n, k, g) = (self.n, self.k, cluster.n_levels());
        let sums = self.cluster_sums(cluster);
        // Per-cluster Gram matrices X_g' W X_g.
        let mut grams = vec![vec![0.0; k * k]; g];
        for i in 0..n {
            let gm = &mut grams[cluster.codes[i] as usize];
            let w = self.w(i);
            for a in 0..k {
                let xa = self.x[a * n + i] * w;
                for b in 0..k {
                    gm[a * k + b] += xa * self.x[b * n + i];
                }
            }
        }
        let deltas: Vec<Vec<f64>> = (0..g)
            .into_par_iter()
            .map(|c| {
                let a: Vec<Vec<f64>> =
                    (0..k).map(|r| (0..k).map(|s| gram[r][s] - grams[c][r * k + s]).collect()).collect();
                let rhs: Vec<f64> = (0..k).map(|r| sums[r][c]).collect();
                spd_solve_inverse(&a, &rhs, "leave-one-cluster-out Gram")
                    .map(|(d, _)| d)
                    .unwrap_or_else(|_| vec![f64::NAN; k])
            })
            .collect();
        deltas
    }
}

/// CR3 variance from jackknife deltas, scaled as fixest/pyfixest do:
/// $\frac{G}{G-1}\frac{N-1}{N-K}\sum_g \delta_g \delta_g'$.
pub fn jackknife_vcov(deltas: &[Vec<f64>], k: usize, factor: f64) -> Vec<Vec<f64>> {
    let mut v = vec![vec![0.0; k]; k];
    for d in deltas {
        for a in 0..k {
            for b in 0..k {
                v[a][b] += d[a] * d[b];
            }
        }
    }
    scale(&v, factor)
}

fn symmetric(k: usize, pairs: &[(usize, usize)], vals: Vec<f64>) -> Vec<Vec<f64>> {
    let mut m = vec![vec![0.0; k]; k];
    for (&(a, b), v) in pairs.iter().zip(vals) {
        m[a][b] = v;
        m[b][a] = v;
    }
    m
}

fn scale(m: &[Vec<f64>], c: f64) -> Vec<Vec<f64>> {
    m.iter().map(|r| r.iter().map(|v| v * c).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcov_names_parse_and_list_valid_values() {
        assert_eq!("hetero".parse::<VcovType>().unwrap(), VcovType::Hc1);
        assert_eq!("CRV1".parse::<VcovType>().unwrap(), VcovType::Cr1);
        let e = "HC9".parse::<VcovType>().unwrap_err().to_string();
        assert!(e.contains("HC9") && e.contains("hetero"));
    }
}
