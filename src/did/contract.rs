//! The estimator contract ([`crate::traits`]) for the DiD family: `att_gt` and its
//! aggregations (normal reference; the stored interval uses the fit's critical value, which is
//! the sup-t bootstrap quantile for a simultaneous band), the event studies (t with G - 1
//! degrees of freedom for Sun-Abraham and the TWFE event study, normal for the imputation
//! estimator) and the Bacon decomposition (2x2 estimates without standard errors).

use super::{
    AggregatedEffects, AggregationKind, AttGt, Bacon, BaconDecomposition, Band, DidImputation, EventStudyMethod,
    EventStudyParams, EventStudyResult, GroupTimeEffects, SunAbraham, TwfeEventStudy,
};
use crate::data::Frame;
use crate::inference::RefDist;
use crate::results::{serde_name, Diagnostic, Glance, TidyColumn, TidyTable};
use crate::traits::{Estimator, EstimatorResult};

/// Whether `alpha` is the fitted one (then the stored intervals are returned as they are).
fn same_alpha(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

/// Rows of (estimate, std_error, conf_low, conf_high) with normal tests; the stored intervals
/// at the fitted alpha, pointwise normal ones at another. Returns the table and the band.
fn normal_rows(
    rows: impl Iterator<Item = (String, [f64; 4])>,
    band: Band,
    refit: bool,
    alpha: f64,
) -> (TidyTable, Band) {
    let dist = RefDist::Normal;
    let mut t = TidyTable::default();
    for (term, [b, s, lo, hi]) in rows {
        let stat = b / s;
        t.push(term, [b, s, stat, dist.two_sided_p(stat), lo, hi]);
    }
    if refit {
        t.recompute_intervals(dist.critical(alpha));
        return (t, Band::Pointwise);
    }
    (t, band)
}

fn band_column(band: Band, n: usize) -> TidyColumn {
    TidyColumn::Str(vec![serde_name(&band); n])
}

impl Estimator for AttGt {
    type Output = GroupTimeEffects;
    const NAME: &'static str = "att_gt";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<GroupTimeEffects> {
        self.fit(frame)
    }
}

impl EstimatorResult for GroupTimeEffects {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let fx = &self.effects;
        let rows = fx
            .iter()
            .map(|e| (format!("ATT({},{})", e.cohort, e.time), [e.estimate, e.std_error, e.conf_low, e.conf_high]));
        let (t, band) = normal_rows(rows, self.band, !same_alpha(alpha, self.alpha()), alpha);
        let n = t.len();
        t.with("cohort", TidyColumn::I64(fx.iter().map(|e| e.cohort).collect()))
            .with("time", TidyColumn::I64(fx.iter().map(|e| e.time).collect()))
            .with("event_time", TidyColumn::I64(fx.iter().map(|e| e.event_time).collect()))
            .with("base_period", TidyColumn::I64(fx.iter().map(|e| e.base_period).collect()))
            .with("band", band_column(band, n))
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        let g = Glance::new(AttGt::NAME, self.n_obs).units(self.n_units).vcov(self.std_error_type.clone());
        g.clusters(self.clusters.as_ref().map_or(self.n_units, |c| c.1))
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl EstimatorResult for AggregatedEffects {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let refit = !same_alpha(alpha, self.alpha);
        let key = match self.kind {
            AggregationKind::Simple => None,
            AggregationKind::Dynamic => Some("event_time"),
            AggregationKind::Group => Some("cohort"),
            AggregationKind::Calendar => Some("time"),
        };
        let Some(key) = key else {
            let o = &self.overall;
            let one = std::iter::once(("ATT".to_string(), [o.estimate, o.std_error, o.conf_low, o.conf_high]));
            let (t, band) = normal_rows(one, Band::Pointwise, refit, alpha);
            return t.with("band", band_column(band, 1));
        };
        let rows = self.rows.iter().map(|r| {
            let k = r.key.map_or_else(|| "overall".to_string(), |k| k.to_string());
            (format!("{key}::{k}"), [r.estimate, r.std_error, r.conf_low, r.conf_high])
        });
        let (t, band) = normal_rows(rows, self.band, refit, alpha);
        let n = t.len();
        t.with(key, TidyColumn::I64(self.rows.iter().map(|r| r.key.unwrap_or(i64::MIN)).collect()))
            .with("band", band_column(band, n))
    }
    fn alpha(&self) -> f64 {
        self.alpha
    }
    fn glance(&self) -> Glance {
        Glance::new(AttGt::NAME, self.n_obs).units(self.n_units).vcov(self.std_error_type.clone())
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl EventStudyParams {
    /// The alpha the event study was fitted with.
    pub fn alpha(&self) -> f64 {
        match self {
            EventStudyParams::SunAbraham(p) => p.alpha,
            EventStudyParams::Twfe(p) => p.alpha,
            EventStudyParams::Imputation(p) => p.alpha,
        }
    }
}

impl EventStudyMethod {
    /// The registry (Python) name of the estimator.
    pub fn name(&self) -> &'static str {
        match self {
            EventStudyMethod::SunAbraham => SunAbraham::NAME,
            EventStudyMethod::Twfe => TwfeEventStudy::NAME,
            EventStudyMethod::Imputation => DidImputation::NAME,
        }
    }
}

impl EstimatorResult for EventStudyResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let rows = &self.event_times;
        let mut t = TidyTable::from_estimates(rows.iter().map(|r| &r.estimate));
        let refit = !same_alpha(alpha, self.alpha());
        if refit {
            t.recompute(&self.df_t.map_or(RefDist::Normal, RefDist::StudentT), alpha);
        }
        let n = t.len();
        let mut t = t
            .with("event_time", TidyColumn::I64(rows.iter().map(|r| r.event_time).collect()))
            .with("n_obs", TidyColumn::I64(rows.iter().map(|r| r.n_obs as i64).collect()))
            .with("band", band_column(Band::Pointwise, n));
        let boot = match &self.params {
            EventStudyParams::SunAbraham(p) => p.wildboot.is_some(),
            EventStudyParams::Twfe(p) => p.wildboot.is_some(),
            EventStudyParams::Imputation(_) => false,
        };
        if boot {
            // The test-inversion intervals exist at the fitted level only.
            let ci = |f: fn(&super::EventTimeEstimate) -> Option<f64>| {
                TidyColumn::F64(rows.iter().map(|r| if refit { f64::NAN } else { f(r).unwrap_or(f64::NAN) }).collect())
            };
            t = t
                .with(
                    "boot_p_value",
                    TidyColumn::F64(rows.iter().map(|r| r.boot_p_value.unwrap_or(f64::NAN)).collect()),
                )
                .with("boot_conf_low", ci(|r| r.boot_conf_low))
                .with("boot_conf_high", ci(|r| r.boot_conf_high));
        }
        t
    }
    fn alpha(&self) -> f64 {
        self.params.alpha()
    }
    fn glance(&self) -> Glance {
        Glance::new(self.method.name(), self.n_obs)
            .units(self.n_units)
            .clusters(self.cluster.1)
            .vcov(format!("CR1 by {}", self.cluster.0))
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

macro_rules! event_study_estimator {
    ($t:ty, $name:literal) => {
        impl Estimator for $t {
            type Output = EventStudyResult;
            const NAME: &'static str = $name;
            fn estimate(&self, frame: &Frame<'_>) -> crate::Result<EventStudyResult> {
                self.clone().fit(frame)
            }
        }
    };
}
event_study_estimator!(SunAbraham, "sun_abraham");
event_study_estimator!(TwfeEventStudy, "event_study");
event_study_estimator!(DidImputation, "did_imputation");

impl Estimator for Bacon {
    type Output = BaconDecomposition;
    const NAME: &'static str = "bacon";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<BaconDecomposition> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for BaconDecomposition {
    /// One row per 2x2 comparison; a 2x2 estimate has no standard error here, so the
    /// inference columns are NaN.
    fn tidy(&self, _alpha: f64) -> TidyTable {
        let cs = &self.comparisons;
        let nan = f64::NAN;
        let mut t = TidyTable::default();
        for c in cs {
            t.push(format!("{} vs {}", c.treated, c.control), [c.estimate, nan, nan, nan, nan, nan]);
        }
        t.with("treated", TidyColumn::Str(cs.iter().map(|c| c.treated.clone()).collect()))
            .with("control", TidyColumn::Str(cs.iter().map(|c| c.control.clone()).collect()))
            .with("type", TidyColumn::Str(cs.iter().map(|c| serde_name(&c.kind)).collect()))
            .with("weight", TidyColumn::F64(cs.iter().map(|c| c.weight).collect()))
    }
    fn alpha(&self) -> f64 {
        0.05
    }
    fn glance(&self) -> Glance {
        Glance::new(Bacon::NAME, self.n_obs).units(self.n_units).clusters(self.n_units).vcov("CR1 by unit")
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}
