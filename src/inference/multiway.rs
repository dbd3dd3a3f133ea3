//! The terms of a one- or multi-way cluster-robust variance (Cameron, Gelbach & Miller 2011):
//! $V = \sum_{\emptyset \ne S \subseteq \{1..d\}} (-1)^{|S|+1} c_S V_S$, where $V_S$ clusters by
//! the intersection of the variables in $S$ and $c_S$ is the small-sample factor. The one loop
//! over subsets shared by the analytic CR1 (`vcov`) and the wild cluster bootstrap.

use std::borrow::Cow;

use super::{ClusterDf, SmallSampleCorrection};
use crate::data::Factor;

/// One term: the clusters of a subset's intersection and its signed factor.
pub(crate) struct MultiwayTerm<'f> {
    /// Clusters of the intersection (borrowed for a single variable).
    pub factor: Cow<'f, Factor>,
    /// $(-1)^{|S|+1}$ times the $(N-1)/(N-K)$ and $G/(G-1)$ factors, $G$ per `ssc.cluster_df`
    /// (the smallest variable's count, or the term's own).
    pub weight: f64,
}

/// Every term of the multi-way sum over `clusters`, in subset order (bit mask 1, 2, 3, ...).
pub(crate) fn multiway_terms<'f>(
    clusters: &[&'f Factor],
    n: usize,
    n_params: usize,
    ssc: &SmallSampleCorrection,
) -> Vec<MultiwayTerm<'f>> {
    let d = clusters.len();
    let g_min = clusters.iter().map(|f| f.n_levels()).min().unwrap_or(0);
    let adj = ssc.adj_factor(n, n_params);
    (1u32..(1 << d))
        .map(|mask| {
            let members: Vec<&Factor> = (0..d).filter(|j| mask & (1 << j) != 0).map(|j| clusters[j]).collect();
            let factor = if members.len() == 1 {
                Cow::Borrowed(members[0])
            } else {
                Cow::Owned(members[1..].iter().fold(members[0].clone(), |acc, m| Factor::interact(&acc, m)))
            };
            let g = match ssc.cluster_df {
                ClusterDf::Min => g_min,
                ClusterDf::Conventional => factor.n_levels(),
            };
            let sign = if mask.count_ones() % 2 == 1 { 1.0 } else { -1.0 };
            MultiwayTerm { factor, weight: sign * adj * ssc.cluster_factor(g) }
        })
        .collect()
}
