//! Survival analysis for time to a job: spell data in counting-process form ([`survsplit`]),
//! Kaplan-Meier curves and log-rank tests ([`KaplanMeier`], [`logrank`]), and Cox
//! proportional-hazards regression ([`Coxph`]) with Efron or Breslow ties, strata, weights,
//! offsets, robust and cluster-robust variances, baseline hazards, concordance and the
//! proportional-hazards test (`cox_zph`), and cumulative incidence with competing risks
//! ([`cuminc`]). Numbers match R survival 3.5
//! (`tests/fixtures/survival_r.json`).
//!
//! References: Kaplan & Meier (1958); Greenwood (1926); Cox (1972); Breslow (1974);
//! Efron (1977); Lin & Wei (1989); Grambsch & Therneau (1994); Therneau & Grambsch (2000),
//! *Modeling Survival Data*.

mod baseline;
mod concordance;
mod cox;
mod cuminc;
mod error;
mod kaplan_meier;
mod logrank;
mod params;
mod residuals;
mod result;
mod riskset;
mod sample;
mod survsplit;
mod zph;

pub use baseline::BaselineHazard;
pub use concordance::Concordance;
pub use cuminc::{cuminc, CifCurve, Cuminc, CumincResult};
pub use error::SurvivalError;
pub use kaplan_meier::{KaplanMeierResult, KmCurve, KmQuantile};
pub use logrank::{logrank, LogRankResult};
pub use params::{ConfType, Coxph, KaplanMeier, Ties};
pub use result::{ChiTest, CoxResult, HazardRatio, SurvivalPrediction};
pub use survsplit::{survsplit, SpellRows, SurvSplit};
pub use zph::{ZphResult, ZphRow, ZphTransform};
