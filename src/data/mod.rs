//! The data layer: typed columns, a named-column [`Frame`], dense id encoding ([`Factor`]) and a
//! validated [`Panel`]. Nothing here knows about estimators.

mod cluster;
mod column;
mod encode;
mod error;
mod frame;
mod panel;
mod wide;

pub use cluster::{require_clusters, MIN_CLUSTERS};
pub use column::{format_number, Column};
pub use encode::{Factor, Rows};
pub use error::DataError;
pub use frame::Frame;
pub(crate) use panel::constant_within_units;
pub use panel::{Panel, PanelInfo, SortedPanel};
pub use wide::Wide;
