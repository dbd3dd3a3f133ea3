//! The log-rank test and its stratified form (Mantel 1966; Peto & Peto 1972), as R survival's
//! `survdiff(rho = 0)`.
//!
//! At each distinct event time with $n$ at risk ($n_g$ in group $g$) and $d$ events:
//! $E_g \mathrel{+}= d\,n_g/n$, $V_{gh} \mathrel{+}= d\,\frac{n-d}{n-1}\,\frac{n_g}{n}(\delta_{gh} - \frac{n_h}{n})$.
//! Stratified: $O$, $E$ and $V$ are summed over strata. $\chi^2 = (O-E)' V^{-} (O-E)$ with
//! $G - 1$ degrees of freedom (the last group dropped from the generalised inverse).

use serde::{Deserialize, Serialize};

use super::cox::{chi_test, solve};
use super::kaplan_meier::km_sample;
use super::result::ChiTest;
use super::sample::sort_strata;
use crate::data::Frame;

/// Log-rank test result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRankResult {
    /// Group labels.
    pub groups: Vec<String>,
    /// Observations per group.
    pub n: Vec<usize>,
    /// Observed events per group.
    pub observed: Vec<f64>,
    /// Expected events per group under equal hazards.
    pub expected: Vec<f64>,
    /// Variance matrix of O - E (G x G).
    pub variance: Vec<Vec<f64>>,
    /// The chi-square test.
    pub test: ChiTest,
    /// Number of strata (1 when unstratified).
    pub n_strata: usize,
}

/// Log-rank test of `group` (optionally within `strata`) on `frame`.
///
/// # Errors
/// Bad times or events, missing columns, fewer than two groups.
pub fn logrank(
    frame: &Frame<'_>,
    duration: &str,
    event: &str,
    group: &str,
    strata: Option<&str>,
) -> crate::Result<LogRankResult> {
    let mut cols = vec![group];
    cols.extend(strata);
    let s = km_sample(frame, duration, event, None, None, &cols)?;
    let (gcodes, labels) = s.factors[0].clone();
    let g = labels.len();
    if g < 2 {
        return Err(crate::ParamsError::InvalidParam {
            name: "group",
            value: group.to_string(),
            reason: "the log-rank test needs at least two groups".into(),
        }
        .into());
    }
    let (scodes, slabels) = s.factors.get(1).cloned().unwrap_or_else(|| (vec![0; s.stop.len()], vec!["all".into()]));
    let order = sort_strata(&scodes, slabels.len(), &s.stop, None);
    let mut n = vec![0usize; g];
    gcodes.iter().for_each(|&c| n[c as usize] += 1);
    let (mut obs, mut exp, mut var) = (vec![0.0; g], vec![0.0; g], vec![vec![0.0; g]; g]);
    for st in &order {
        // by_stop is descending: walk it backwards, keeping the at-risk counts per group.
        let mut risk = vec![0.0; g];
        st.by_stop.iter().for_each(|&i| risk[gcodes[i as usize] as usize] += 1.0);
        let rows: Vec<usize> = st.by_stop.iter().rev().map(|&i| i as usize).collect();
        let mut k = 0;
        while k < rows.len() {
            let t = s.stop[rows[k]];
            let mut dg = vec![0.0; g];
            let mut leave = vec![0.0; g];
            while k < rows.len() && s.stop[rows[k]] == t {
                let c = gcodes[rows[k]] as usize;
                leave[c] += 1.0;
                if s.event[rows[k]] {
                    dg[c] += 1.0;
                }
                k += 1;
            }
            let d: f64 = dg.iter().sum();
            let nt: f64 = risk.iter().sum();
            if d > 0.0 {
                for a in 0..g {
                    obs[a] += dg[a];
                    exp[a] += d * risk[a] / nt;
                    if nt > 1.0 {
                        let f = d * (nt - d) / (nt - 1.0);
                        for b in 0..g {
                            let delta = if a == b { 1.0 } else { 0.0 };
                            var[a][b] += f * risk[a] / nt * (delta - risk[b] / nt);
                        }
                    }
                }
            }
            risk.iter_mut().zip(&leave).for_each(|(r, l)| *r -= l);
        }
    }
    let m = g - 1;
    let oe: Vec<f64> = (0..m).map(|a| obs[a] - exp[a]).collect();
    let vm: Vec<f64> = (0..m).flat_map(|a| (0..m).map(move |b| (a, b))).map(|(a, b)| var[a][b]).collect();
    let stat = match solve(&vm, &oe, "the log-rank variance") {
        Ok((sol, _)) => sol.iter().zip(&oe).map(|(a, b)| a * b).sum(),
        Err(_) => f64::NAN,
    };
    Ok(LogRankResult {
        groups: labels,
        n,
        observed: obs,
        expected: exp,
        variance: var,
        test: chi_test(stat, m),
        n_strata: slabels.len(),
    })
}
