//! The partialled design of a `feols` model (fixed effects absorbed, collinear regressors
//! dropped, weights folded in as $\sqrt{w}$), for resampling inference (wild cluster bootstrap)
//! that needs the design rather than the fit.

use super::design::{build, drop_collinear, SampleSpec};
use super::feols::{fe_param_count, nested_in};
use super::params::FeolsChecked;
use crate::data::{Factor, Frame};
use crate::linalg::Demeaner;
use crate::traits::Validated;
use crate::Result;

/// A model after Frisch-Waugh-Lovell: $\sqrt{w}\tilde y$ and $\sqrt{w}\tilde X$ on the estimation sample.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Partialled {
    /// Rows.
    pub n: usize,
    /// Kept regressors.
    pub k: usize,
    /// Outcome.
    pub y: Vec<f64>,
    /// Column-major `n x k` regressors.
    pub x: Vec<f64>,
    /// Names of the kept regressors.
    pub names: Vec<String>,
    /// Regressors dropped for collinearity.
    pub collinear: Vec<String>,
    /// The requested cluster variables on the sample (name, factor).
    pub clusters: Vec<(String, std::sync::Arc<Factor>)>,
    /// The bootstrap cluster variable, when asked for.
    pub bootcluster: Option<(String, std::sync::Arc<Factor>)>,
    /// K of the small-sample correction (fixed effects nested in a cluster not counted,
    /// as `feols`' default `fixef_k = "nested"`).
    pub n_params: usize,
}

impl Validated<FeolsChecked> {
    /// Build the sample with `clusters` as cluster columns, absorb the fixed effects and drop
    /// collinear regressors exactly as [`Validated::<FeolsChecked>::fit`] does.
    ///
    /// # Errors
    /// As `fit`: missing columns, bad data, every regressor collinear.
    pub fn partial_out(&self, frame: &Frame<'_>, clusters: &[String], bootcluster: Option<&str>) -> Result<Partialled> {
        let p = &self.params;
        let mut all = clusters.to_vec();
        if let Some(b) = bootcluster.filter(|b| !clusters.iter().any(|c| c == b)) {
            all.push(b.to_string());
        }
        let mut mf = build(
            frame,
            &SampleSpec {
                formula: &self.formula,
                weights: p.weights.as_deref(),
                clusters: &all,
                drop_singletons: p.drop_singletons,
            },
        )?;
        let (n, k) = (mf.n(), mf.k());
        let w = mf.weights.clone();
        let scale: Vec<f64> = (1..=k)
            .map(|j| {
                let col = &mf.yx[j * n..(j + 1) * n];
                match &w {
                    None => col.iter().map(|x| x * x).sum(),
                    Some(w) => col.iter().zip(w).map(|(x, w)| w * x * x).sum(),
                }
            })
            .collect();
        let codes: Vec<&[u32]> = mf.fixed_effects.iter().map(|(_, f)| f.codes.as_slice()).collect();
        let levels: Vec<usize> = mf.fixed_effects.iter().map(|(_, f)| f.n_levels()).collect();
        let demeaner = Demeaner::new(codes, &levels, w.as_deref());
        if demeaner.n_dims() > 0 {
            demeaner.demean_columns(&mut mf.yx, &p.demean);
        }
        let (keep, collinear, _) = drop_collinear(&mut mf.yx, &mf.recipes, w.as_deref(), &scale, p.collinear_tol)?;
        let kk = keep.len();
        // y then the kept regressors, column-major, times sqrt(w): taken over, not copied.
        let mut yx = std::mem::take(&mut mf.yx);
        yx.truncate((1 + kk) * n);
        if let Some(w) = &w {
            let root: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
            yx.chunks_mut(n).for_each(|c| c.iter_mut().zip(&root).for_each(|(a, r)| *a *= r));
        }
        let x = yx.split_off(n);
        let vcov_clusters: Vec<&Factor> = mf.clusters.iter().take(clusters.len()).map(|(_, f)| &**f).collect();
        let nested: Vec<bool> =
            mf.fixed_effects.iter().map(|(_, fe)| vcov_clusters.iter().any(|c| nested_in(fe, c))).collect();
        let fe_k = match p.ssc.fixef_k {
            crate::inference::FixefK::None => 0,
            crate::inference::FixefK::Full => fe_param_count(&levels, &vec![false; levels.len()]),
            crate::inference::FixefK::Nested => fe_param_count(&levels, &nested),
        };
        let boot = match bootcluster {
            None => None,
            Some(b) => mf.clusters.iter().find(|(name, _)| name == b).cloned(),
        };
        mf.clusters.truncate(clusters.len());
        Ok(Partialled {
            n,
            k: kk,
            y: yx,
            x,
            names: keep.iter().map(|&j| mf.recipes[j].name.clone()).collect(),
            collinear,
            clusters: std::mem::take(&mut mf.clusters),
            bootcluster: boot,
            n_params: kk + fe_k,
        })
    }
}

impl Validated<FeolsChecked> {
    /// Wild cluster bootstrap of $\sum_j c_j \beta_{name_j} = r$ in this model (see
    /// [`crate::inference::wild_bootstrap`]). `cluster` defaults to the model's cluster variables,
    /// `bootcluster` to the first of them.
    ///
    /// # Errors
    /// Unknown or collinear coefficients, no cluster variable, and every error of the bootstrap.
    pub fn wildboot(
        &self,
        frame: &Frame<'_>,
        terms: &[(String, f64)],
        r: f64,
        cluster: Option<&[String]>,
        bootcluster: Option<&str>,
        params: &Validated<crate::inference::WildBoot>,
    ) -> Result<crate::inference::WildBootResult> {
        let mut out = self.wildboot_each(frame, std::slice::from_ref(&terms), r, cluster, bootcluster, params)?;
        Ok(out.remove(0))
    }

    /// [`Self::wildboot`] for several hypotheses $\sum_j c_j \beta_{name_j} = r$ on one
    /// partialled design (fixed effects absorbed once), each with the same options and seed; the
    /// results equal separate `wildboot` calls.
    ///
    /// # Errors
    /// As [`Self::wildboot`].
    pub fn wildboot_each(
        &self,
        frame: &Frame<'_>,
        hypotheses: &[&[(String, f64)]],
        r: f64,
        cluster: Option<&[String]>,
        bootcluster: Option<&str>,
        params: &Validated<crate::inference::WildBoot>,
    ) -> Result<Vec<crate::inference::WildBootResult>> {
        use crate::inference::{wild_bootstrap, BootProblem, Hypothesis, InferenceError};
        let clusters: Vec<String> = cluster.map_or_else(|| self.vcov.cluster.clone(), <[String]>::to_vec);
        if clusters.is_empty() {
            return Err(crate::ParamsError::InvalidParam {
                name: "cluster",
                value: "None".into(),
                reason: "the model is not clustered: give the cluster column(s) of the wild cluster bootstrap".into(),
            }
            .into());
        }
        let d = self.partial_out(frame, &clusters, bootcluster)?;
        let prob = BootProblem {
            x: &d.x,
            y: &d.y,
            n: d.n,
            k: d.k,
            clusters: d.clusters.iter().map(|(n, f)| (n.as_str(), &**f)).collect(),
            bootcluster: d.bootcluster.as_ref().map(|(n, f)| (n.as_str(), &**f)),
            ssc: self.params.ssc,
            n_params: d.n_params,
        };
        hypotheses
            .iter()
            .map(|terms| {
                let kept = d.names.join(", ");
                let mut r_vec = vec![0.0; d.k];
                for (name, c) in terms.iter() {
                    match d.names.iter().position(|n| n == name) {
                        Some(j) => r_vec[j] += c,
                        None if d.collinear.contains(name) => {
                            return Err(InferenceError::DroppedCoefficient { name: name.clone(), kept }.into())
                        }
                        None => return Err(InferenceError::UnknownCoefficient { name: name.clone(), kept }.into()),
                    }
                }
                let label = terms
                    .iter()
                    .map(|(n, c)| if *c == 1.0 { n.clone() } else { format!("{c}*{n}") })
                    .collect::<Vec<_>>()
                    .join(" + ");
                wild_bootstrap(&prob, &Hypothesis { label, r_vec, r }, params)
            })
            .collect()
    }
}

impl Validated<FeolsChecked> {
    /// Randomization inference on coefficient `term`: permute the adoption times of the 0/1
    /// absorbing `treatment` across the units of `unit` (observed at `time`) and refit (see
    /// [`crate::inference::randomization_test`]).
    ///
    /// # Errors
    /// Missing columns, a treatment that is not 0/1 absorbing, no treated or untreated unit,
    /// a term that is not estimated.
    pub fn ritest(
        &self,
        frame: &Frame<'_>,
        term: &str,
        treatment: &str,
        unit: &str,
        time: &str,
        params: &Validated<crate::inference::RiTest>,
    ) -> Result<crate::inference::RiResult> {
        use crate::data::{Column, DataError, Rows};
        use crate::inference::{adoption_times, randomization_test, InferenceError};
        let n = frame.n_rows();
        let (u_col, t_col, d_col) =
            (frame.column(unit)?, frame.numeric(time, "time")?, frame.numeric(treatment, "treatment")?);
        for (name, c) in [(unit, u_col), (time, t_col)] {
            if (0..n).any(|i| c.is_missing(i)) {
                return Err(DataError::InvalidValue {
                    name: name.to_string(),
                    reason: "randomization inference needs every row's unit and time".into(),
                }
                .into());
            }
        }
        let units = Factor::encode(u_col, &Rows::All(n));
        let times: Vec<f64> = (0..n).map(|i| t_col.value(i).unwrap_or(f64::NAN)).collect();
        let d: Vec<f64> = (0..n).map(|i| d_col.value(i).unwrap_or(f64::NAN)).collect();
        let observed: Vec<usize> = (0..n).filter(|&i| !d[i].is_nan()).collect();
        let sub = |v: &[f64]| observed.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let codes: Vec<u32> = observed.iter().map(|&i| units.codes[i]).collect();
        let first = adoption_times(&codes, &sub(&times), &sub(&d), units.n_levels())?;
        let n_treated = first.iter().filter(|f| f.is_some()).count();
        if first.iter().all(|f| Some(f) == first.first()) {
            return Err(InferenceError::BadHypothesis {
                reason: "randomization inference needs treated and untreated units, or differing adoption times".into(),
            }
            .into());
        }
        let mut p = self.params.clone();
        p.vcov = Some(super::Vcov::new(crate::inference::VcovType::Iid));
        let chk = p.validate()?;
        let kept =
            |fit: &super::FeolsResult| fit.coefficients.iter().map(|e| e.term.clone()).collect::<Vec<_>>().join(", ");
        let statistic = |perm: &[usize]| -> Result<f64> {
            let permuted: Vec<f64> = (0..n)
                .map(|i| {
                    if d[i].is_nan() {
                        return f64::NAN;
                    }
                    match first[perm[units.codes[i] as usize]] {
                        Some(g) if times[i] >= g => 1.0,
                        _ => 0.0,
                    }
                })
                .collect();
            let mut f = Frame::new();
            for name in frame.names() {
                let col = if name == treatment {
                    Column::Float(std::borrow::Cow::Borrowed(&permuted[..]))
                } else {
                    frame.column(name)?.view()
                };
                f.push(name.clone(), col)?;
            }
            let fit = chk.fit(&f)?;
            match fit.coef(term) {
                Some(e) => Ok(e.estimate),
                None if fit.collinear.iter().any(|c| c == term) => Ok(f64::NAN),
                None => Err(InferenceError::UnknownCoefficient { name: term.to_string(), kept: kept(&fit) }.into()),
            }
        };
        randomization_test(term, units.n_levels(), n_treated, params, statistic)
    }
}
