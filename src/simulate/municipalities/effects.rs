//! The true effects of the municipality simulator: the effect paths, the table shipped with the
//! data ([`TrueEffect`]) and the true average effects under the estimators' own aggregation
//! ([`TrueAtt`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Frame;

use super::{MunicipalityPanelParams, LEJRE_KEY, MUNICIPALITY_GROUPS, SPROGPRAKTIK_KEY};

/// IGU effect by event time 0, 1, ..., 5+ (before the group multiplier): it grows for six years.
pub(super) const IGU_PATH: [f64; 6] = [0.01, 0.025, 0.04, 0.055, 0.07, 0.08];
/// Partnership effect by event time 0, 1, 2, 3+ (before the group multiplier), while active.
pub(super) const PARTNERSHIP_PATH: [f64; 4] = [0.02, 0.04, 0.05, 0.06];
/// Lejre's partnership effect by event time 0, 1+.
pub(super) const LEJRE_PATH: [f64; 2] = [0.03, 0.10];
/// Effect of one unit of sprogpraktik share.
pub(super) const SPROGPRAKTIK_SLOPE: f64 = 0.10;
/// Group multipliers, in [`MUNICIPALITY_GROUPS`] order.
pub(super) const IGU_GROUP: [f64; 5] = [0.8, 0.9, 1.0, 1.15, 1.3];
pub(super) const PARTNERSHIP_GROUP: [f64; 5] = [0.85, 0.9, 1.0, 1.1, 1.2];

/// First IGU year, first partnership year, Lejre's partnership year, programme start.
pub(super) const IGU_FIRST: i64 = 2016;
pub(super) const PARTNERSHIP_FIRST: i64 = 2013;
pub(super) const LEJRE_PARTNERSHIP_YEAR: i64 = 2015;
pub(super) const PROGRAMME_YEAR: i64 = 2016;

/// One true effect used by the simulator.
///
/// `effect` is in units of the employment rate as a share (`0.03` = 3 percentage points),
/// already multiplied by `effect_scale`. Keys:
///
/// - `intervention`: `"igu"`, `"partnership"`, `"programme"` or `"sprogpraktik"`.
/// - `municipality_group`: one of [`MUNICIPALITY_GROUPS`]; [`LEJRE_KEY`] (`"Lejre"`) for Lejre's
///   own partnership effect, which replaces its group's; [`SPROGPRAKTIK_KEY`] (`"all"`) for the
///   sprogpraktik effect.
/// - `event_time`: years since adoption (`year - adoption_year`, from 0). For `"sprogpraktik"`
///   the only row has event time 0 and its effect is per unit of `sprogpraktik_share`.
///
/// The partnership rows are the effect **while the agreement is active**
/// (`partnership_active = 1`); after an agreement ends the effect is 0.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrueEffect {
    /// Intervention name (a column of the panel).
    pub intervention: String,
    /// Municipality group, or a special key (see above).
    pub municipality_group: String,
    /// Years since adoption (0 = adoption year).
    pub event_time: i64,
    /// The effect on the employment rate, as a share.
    pub effect: f64,
}

/// The true average effect of one intervention on its treated cells, aggregated as the
/// staggered-adoption estimators aggregate their estimates.
///
/// A treated cell is a municipality-year with `<intervention>_year > 0` and
/// `year >= <intervention>_year` (for partnerships: from signing on, including the years after
/// an agreement ended, whose effect is 0). With $\tau_{mt}$ the intervention's own true effect
/// in the row (column `true_effect_<intervention>`), $D$ the treated cells and $D_e$ those at
/// event time $e = t - G_m$:
///
/// $$\mathrm{ATT}^{simple} = \frac{1}{|D|}\sum_{(m,t)\in D}\tau_{mt}, \qquad
/// \mathrm{ATT}(e) = \frac{1}{|D_e|}\sum_{(m,t)\in D_e}\tau_{mt}, \qquad
/// \mathrm{ATT}^{dyn} = \frac{1}{|E|}\sum_{e \in E}\mathrm{ATT}(e),$$
///
/// with $E$ the event times present.
/// These are the targets of Callaway & Sant'Anna's simple and dynamic (event-time)
/// aggregations (cohort-size weights), of Sun & Abraham's event-time estimates (cohort-share
/// weights) and of the imputation estimator's overall and horizon averages (equal weight per
/// treated observation), all on a balanced panel; `dynamic_mean` is the overall effect of
/// Callaway & Sant'Anna's dynamic aggregation (the unweighted mean over event times).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrueAtt {
    /// `"igu"`, `"partnership"` or `"programme"`.
    pub intervention: String,
    /// Mean true effect over all treated cells.
    pub simple: f64,
    /// Number of treated cells.
    pub n_cells: usize,
    /// Mean of the event-time effects (each event time weighted equally).
    pub dynamic_mean: f64,
    /// Mean true effect by event time (ascending), with the number of cells.
    pub dynamic: Vec<TrueAttRow>,
}

/// One event time of a [`TrueAtt`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrueAttRow {
    /// Years since adoption.
    pub event_time: i64,
    /// Mean true effect of the cells at this event time.
    pub effect: f64,
    /// Number of cells.
    pub n_cells: usize,
}

/// The [`TrueAtt`] of `intervention` in a simulated panel frame (`None` when the frame lacks
/// the columns `year`, `<intervention>_year` and `true_effect_<intervention>`, or has no
/// treated cell).
pub(super) fn true_att(frame: &Frame<'_>, intervention: &str) -> Option<TrueAtt> {
    let year = frame.column("year").ok()?;
    let cohort = frame.column(&format!("{intervention}_year")).ok()?;
    let tau = frame.column(&format!("true_effect_{intervention}")).ok()?;
    let mut by_e: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for i in 0..frame.n_rows() {
        let (Some(t), Some(g), Some(v)) = (year.value(i), cohort.value(i), tau.value(i)) else { continue };
        if g > 0.0 && t >= g {
            let cell = by_e.entry((t - g) as i64).or_default();
            cell.0 += v;
            cell.1 += 1;
        }
    }
    let n_cells: usize = by_e.values().map(|c| c.1).sum();
    if n_cells == 0 {
        return None;
    }
    let total: f64 = by_e.values().map(|c| c.0).sum();
    let dynamic: Vec<TrueAttRow> = by_e
        .into_iter()
        .map(|(event_time, (s, n))| TrueAttRow { event_time, effect: s / n as f64, n_cells: n })
        .collect();
    let dynamic_mean = dynamic.iter().map(|r| r.effect).sum::<f64>() / dynamic.len() as f64;
    Some(TrueAtt {
        intervention: intervention.to_string(),
        simple: total / n_cells as f64,
        n_cells,
        dynamic_mean,
        dynamic,
    })
}

/// IGU effect (before `effect_scale`) in group `g` at event time `e >= 0`.
pub(super) fn igu_effect(g: usize, e: i64) -> f64 {
    IGU_PATH[(e.max(0) as usize).min(IGU_PATH.len() - 1)] * IGU_GROUP[g]
}

/// Partnership effect (before `effect_scale`) in group `g` at event time `e >= 0`, while active.
pub(super) fn partnership_effect(g: usize, e: i64) -> f64 {
    PARTNERSHIP_PATH[(e.max(0) as usize).min(PARTNERSHIP_PATH.len() - 1)] * PARTNERSHIP_GROUP[g]
}

/// Lejre's partnership effect (before `effect_scale`) at event time `e >= 0`.
pub(super) fn lejre_effect(e: i64) -> f64 {
    LEJRE_PATH[(e.max(0) as usize).min(LEJRE_PATH.len() - 1)]
}

/// Every effect the simulator can use, times `effect_scale`, for event times 0 up to the
/// largest one possible in the panel.
pub(super) fn true_effect_table(params: &MunicipalityPanelParams) -> Vec<TrueEffect> {
    let scale = params.effect_scale;
    let mut out = Vec::new();
    let mut push = |intervention: &str, group: &str, e: i64, effect: f64| {
        out.push(TrueEffect {
            intervention: intervention.to_string(),
            municipality_group: group.to_string(),
            event_time: e,
            effect: scale * effect,
        });
    };
    for (g, name) in MUNICIPALITY_GROUPS.iter().enumerate() {
        for e in 0..=(params.last_year - IGU_FIRST) {
            push("igu", name, e, igu_effect(g, e));
        }
    }
    for (g, name) in MUNICIPALITY_GROUPS.iter().enumerate() {
        for e in 0..=(params.last_year - PARTNERSHIP_FIRST) {
            push("partnership", name, e, partnership_effect(g, e));
        }
    }
    for e in 0..=(params.last_year - LEJRE_PARTNERSHIP_YEAR) {
        push("partnership", LEJRE_KEY, e, lejre_effect(e));
    }
    for name in MUNICIPALITY_GROUPS {
        for e in 0..=(params.last_year - PROGRAMME_YEAR) {
            push("programme", name, e, 0.0);
        }
    }
    push("sprogpraktik", SPROGPRAKTIK_KEY, 0, SPROGPRAKTIK_SLOPE);
    out
}
