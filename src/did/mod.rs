//! Staggered difference-in-differences: treatment timing ([`cohort`]) shared by every
//! estimator; the Goodman-Bacon decomposition of TWFE ([`Bacon`]), Sun & Abraham's
//! interaction-weighted event study ([`SunAbraham`]), the TWFE event study
//! ([`TwfeEventStudy`]) and Borusyak, Jaravel & Spiess's imputation estimator
//! ([`DidImputation`]); Callaway & Sant'Anna (2021) group-time effects ([`AttGt`]) with their
//! aggregations.

pub mod cohort;
mod error;

mod aggregate;
mod att_gt;
mod bacon;
mod contract;
mod drdid;
mod event_result;
mod imputation;
mod params;
mod result;
mod ritest;
mod staggered;
mod sun_abraham;

pub use bacon::{Bacon, BaconComparison, BaconDecomposition, BaconSummary, ComparisonKind};
pub use cohort::{CohortCount, CohortSource, ControlGroup, Timing, TimingReport};
pub use error::DidError;
pub use event_result::{
    CohortEffect, EventStudyMethod, EventStudyParams, EventStudyResult, EventTimeEstimate, WaldTest,
};
pub use imputation::DidImputation;
pub use params::{Aggregate, AggregationKind, AttGt, BasePeriod, Bootstrap, BootstrapWeights, EstMethod};
pub use result::{
    AggregateRow, AggregatedEffects, Band, BlockMoments, CellInfluence, ClosedForm, DidDrops, GroupTimeEffect,
    GroupTimeEffects, Influence,
};
pub use ritest::permuted_timing;
pub use sun_abraham::{SunAbraham, TwfeEventStudy};
