//! Guidance when cluster-robust inference is unreliable: few clusters, or few treated clusters.
//!
//! Cluster-robust t tests over-reject when the number of clusters is small and, much more, when
//! few clusters are treated (MacKinnon & Webb 2017, 2018): with a 0/1 regressor that varies in
//! fewer than about 15 clusters, CR1 p-values are too small. The restricted wild cluster bootstrap
//! (WCR) is then the recommended test (Webb weights below about 12 clusters); with very few
//! treated clusters (below about 5) even WCR under-rejects and randomization inference is the
//! fallback.

use crate::data::Factor;
use crate::results::{Diagnostic, DiagnosticCode};

/// Below this many treated (or untreated) clusters, say so.
pub const FEW_TREATED: usize = 15;

/// Warnings for 0/1 regressors (column-major `x`, `n` rows, raw values before demeaning) whose
/// ones (or zeros) fall in fewer than [`FEW_TREATED`] clusters of `cluster`.
pub fn few_treated_clusters(names: &[String], x: &[f64], n: usize, cluster: &Factor) -> Vec<Diagnostic> {
    let g = cluster.n_levels();
    let mut out = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let col = &x[j * n..(j + 1) * n];
        if !col.iter().all(|v| *v == 0.0 || *v == 1.0) {
            continue;
        }
        let mut treated = vec![false; g];
        let mut control = vec![false; g];
        for (v, c) in col.iter().zip(&cluster.codes) {
            if *v == 1.0 {
                treated[*c as usize] = true;
            } else {
                control[*c as usize] = true;
            }
        }
        let g1 = treated.iter().filter(|t| **t).count();
        let g0 = control.iter().filter(|t| **t).count();
        let few = g1.min(g0);
        if few == 0 || few >= FEW_TREATED {
            continue;
        }
        let (what, how) = if g1 <= g0 { ("are treated", g1) } else { ("are untreated", g0) };
        let advice = if how < 5 {
            format!(
                "use randomization inference (`ritest(\"{name}\", ...)`); the wild bootstrap under-rejects with so few"
            )
        } else {
            format!("use the restricted wild cluster bootstrap (`wildboot(\"{name}\", bootstrap=vk.Bootstrap(weights=\"webb\"))`)")
        };
        out.push(Diagnostic::new(
            DiagnosticCode::SmallClusters,
            format!(
                "`{name}`: only {how} of {g} clusters {what}, so its cluster-robust p-value is too small; {advice}"
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_for_few_treated_binary_regressors() {
        let n = 100;
        let cluster =
            Factor { codes: (0..n as u32).map(|i| i / 2).collect(), labels: (0..50).map(|i| i.to_string()).collect() };
        let few: Vec<f64> = (0..n).map(|i| if i < 6 { 1.0 } else { 0.0 }).collect(); // 3 clusters
        let many: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect(); // every cluster
        let cont: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let x: Vec<f64> = [few, many, cont].concat();
        let names = vec!["d".to_string(), "e".to_string(), "z".to_string()];
        let w = few_treated_clusters(&names, &x, n, &cluster);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("only 3 of 50 clusters are treated") && w[0].message.contains("ritest"));
    }
}
