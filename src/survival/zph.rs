//! Test of proportional hazards from Schoenfeld residuals (Grambsch & Therneau 1994), as R
//! survival 3's `cox.zph`: the score test, at $(\hat\beta, 0)$, of adding $g(t)\,x_j$ to the
//! model, for each regressor and for all together.
//!
//! With centred transformed times $g_k = g(t_k) - \overline{g(t_{\text{events}})}$ and the
//! per-event-time Schoenfeld sums $s_k$ and information contributions $V_k$:
//! $U = \sum_k g_k s_k$; information blocks $\sum_k V_k$, $\sum_k g_k V_k$, $\sum_k g_k^2 V_k$;
//! $T_j = u' M_j^{-1} u$ with $u = (0, U_j)$ and $M_j$ the rows/columns of all $\beta$ and
//! $g\,x_j$ ($\chi^2_1$); the global test uses every $g\,x_j$ ($\chi^2_p$). Transforms: `km`
//! ($1 - \hat S(t-)$ of the pooled, unweighted Kaplan-Meier; R's default), `identity`, `log`,
//! `rank`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cox::{chi_test, solve};
use super::kaplan_meier::km_steps;
use super::result::{ChiTest, CoxResult};
use super::riskset::{linear_predictor, pass, Keep};
use super::SurvivalError;
use crate::error::ParamsError;

/// Time scale of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZphTransform {
    /// $1 - \hat S(t-)$ (Kaplan-Meier), R's default.
    Km,
    /// $t$.
    Identity,
    /// $\log t$.
    Log,
    /// Rank of $t$ among all stop times.
    Rank,
}

impl FromStr for ZphTransform {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "km" => Ok(ZphTransform::Km),
            "identity" => Ok(ZphTransform::Identity),
            "log" => Ok(ZphTransform::Log),
            "rank" => Ok(ZphTransform::Rank),
            _ => Err(ParamsError::UnknownChoice {
                name: "transform",
                value: s.to_string(),
                valid: ["km", "identity", "log", "rank"].iter().map(|v| v.to_string()).collect(),
            }),
        }
    }
}

/// One row of the test table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphRow {
    /// Regressor ("GLOBAL" for the joint test).
    pub term: String,
    /// The test.
    pub test: ChiTest,
}

/// The proportional-hazards test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphResult {
    /// Time transform used.
    pub transform: ZphTransform,
    /// One row per regressor, then the global test.
    pub table: Vec<ZphRow>,
}

impl CoxResult {
    /// The Schoenfeld-residual test of proportional hazards (`cox.zph`).
    ///
    /// # Errors
    /// [`SurvivalError::Unsupported`] on a result without its fit state (deserialised) or
    /// without regressors; a singular information matrix.
    pub fn cox_zph(&self, transform: ZphTransform) -> crate::Result<ZphResult> {
        let state = self.state()?;
        let s = &state.sample;
        let p = s.p;
        if p == 0 {
            return Err(SurvivalError::Unsupported { what: "cox_zph needs at least one regressor".into() }.into());
        }
        let eta = linear_predictor(s, &state.newton.beta);
        let (_, records) = pass(s, &eta, self.params.ties, Keep::TimesWithInfo);
        // Transformed time of every row's stop time, centred at the mean over event rows.
        let g_of: Box<dyn Fn(f64) -> f64> = match transform {
            ZphTransform::Identity => Box::new(|t| t),
            ZphTransform::Log => Box::new(f64::ln),
            ZphTransform::Km => {
                let ones = vec![1.0; s.n];
                let steps = km_steps(s.start.as_deref(), &s.stop, &s.event, &ones);
                let mut times = Vec::with_capacity(steps.len());
                let mut surv = Vec::with_capacity(steps.len());
                let mut sv = 1.0;
                for st in &steps {
                    if st.n_event > 0.0 {
                        sv *= 1.0 - st.n_event / st.n_risk;
                    }
                    times.push(st.time);
                    surv.push(sv);
                }
                Box::new(move |t| {
                    let k = times.partition_point(|&x| x < t);
                    1.0 - if k == 0 { 1.0 } else { surv[k - 1] }
                })
            }
            ZphTransform::Rank => {
                let mut sorted = s.stop.clone();
                sorted.sort_unstable_by(f64::total_cmp);
                Box::new(move |t| {
                    let lo = sorted.partition_point(|&x| x < t);
                    let hi = sorted.partition_point(|&x| x <= t);
                    (lo + 1 + hi) as f64 / 2.0
                })
            }
        };
        let (mut gsum, mut nev) = (0.0, 0usize);
        for i in 0..s.n {
            if s.event[i] {
                gsum += g_of(s.stop[i]);
                nev += 1;
            }
        }
        let gmean = gsum / nev as f64;
        let q = 2 * p;
        let mut u = vec![0.0; q];
        let mut imat = vec![0.0; q * q];
        for rec in records.iter().flatten() {
            let g = g_of(rec.time) - gmean;
            for a in 0..p {
                u[p + a] += g * rec.schoen[a];
                for b in 0..p {
                    let v = rec.info[a * p + b];
                    imat[a * q + b] += v;
                    imat[a * q + p + b] += g * v;
                    imat[(p + a) * q + b] += g * v;
                    imat[(p + a) * q + p + b] += g * g * v;
                }
            }
        }
        let sub = |idx: &[usize]| -> crate::Result<f64> {
            let m = idx.len();
            let mm: Vec<f64> =
                idx.iter().flat_map(|&a| idx.iter().map(move |&b| (a, b))).map(|(a, b)| imat[a * q + b]).collect();
            let uu: Vec<f64> = idx.iter().map(|&a| if a < p { 0.0 } else { u[a] }).collect();
            let (sol, _) = solve(&mm, &uu, "the cox.zph information matrix")?;
            Ok((0..m).map(|k| sol[k] * uu[k]).sum())
        };
        let mut table = Vec::with_capacity(p + 1);
        for j in 0..p {
            let idx: Vec<usize> = (0..p).chain([p + j]).collect();
            table.push(ZphRow { term: s.recipes[j].name.clone(), test: chi_test(sub(&idx)?, 1) });
        }
        let all: Vec<usize> = (0..q).collect();
        table.push(ZphRow { term: "GLOBAL".into(), test: chi_test(sub(&all)?, p) });
        Ok(ZphResult { transform, table })
    }
}
