//! Simulated data with known effects, on which every estimator can be checked.
//!
//! [`simulate_municipalities`] builds the bundled panel of the 98 Danish municipalities: real
//! names, regions, municipality groups and programme membership, with **simulated** refugee
//! counts, employment, frame conditions, interventions and true effects.
//!
//! [`PanelDesign`] is a configurable panel design for power analysis (units, periods,
//! staggered cohorts, dynamic and heterogeneous effects, AR(1) shocks, unit and period effects,
//! municipal unit sizes); [`Power`] runs an estimator over many replicates of it in parallel
//! and reports power, bias, RMSE, coverage and the minimum detectable effect.
//! [`CohortDesign`] simulates individual refugee cohorts with time-to-job hazards
//! (exponential, Weibull or piecewise constant baseline, a treatment hazard ratio, frailty,
//! censoring).

pub mod cohort;
mod contract;
mod error;
pub mod estimators;
pub mod municipalities;
pub mod panel;
pub mod power;
mod power_result;
pub mod staggered;

pub use cohort::{CohortDesign, CohortDraw, Hazard};
pub use error::SimulateError;
pub use municipalities::{
    simulate_municipalities, MunicipalityPanelParams, SimulatedPanel, TrueAtt, TrueAttRow, TrueEffect, FURESOE_CODE,
    IDENTIFYING_COVARIATES, LEJRE_CODE, LEJRE_KEY, MIDDELFART_CODE, MUNICIPALITY_GROUPS, SPROGPRAKTIK_KEY,
};
pub use panel::{Cohort, PanelDesign, PanelDraw, UnitSizes};
pub use power::{Fitted, MdeSearch, Power, PowerChecked, PowerEstimator, Progress, ReplicateFit, ScUnit};
pub use power_result::{Draw, Mde, PowerResult, PowerRow};
pub use staggered::{simulate_staggered, staggered_true_effect, StaggeredPanelParams};
