//! Simulated data with known effects, on which every estimator can be checked.
//!
//! [`simulate_municipalities`] builds the bundled panel of the 98 Danish municipalities: real
//! names, regions, municipality groups and programme membership, with **simulated** refugee
//! counts, employment, frame conditions, interventions and true effects.

pub mod municipalities;

pub use municipalities::{
    simulate_municipalities, MunicipalityPanelParams, SimulatedPanel, TrueEffect, LEJRE_CODE, LEJRE_KEY,
    MUNICIPALITY_GROUPS, SPROGPRAKTIK_KEY,
};
