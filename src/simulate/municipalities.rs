//! A simulated panel of the 98 Danish municipalities, 2010-2024, with known true effects.
//!
//! **The outcomes are simulated.** Names, codes, regions, municipality groups and the 17
//! municipalities of the programme "I mål med integration" are real (from the bundled
//! `municipalities.csv`); every number (refugee counts, employment, frame conditions, adoption
//! years, effects) is drawn from the model below. The panel is a stage on which estimators can
//! be shown to recover effects the user can look up in [`SimulatedPanel::true_effects`] and
//! [`SimulatedPanel::true_att`], not a description of Denmark.
//!
//! # Model
//!
//! One row per municipality $m$ (group $g(m)$, region $r(m)$) and year $t$.
//!
//! **Refugee stock.** Adult refugees and family-reunified (18-66) in municipality $m$ follow a
//! cohort model: each year a share $q = 0.07$ leaves (moves, ages out), survivors are
//! $\mathrm{Bin}(N_{m,t-1}, 1-q)$, and arrivals are $\mathrm{Poisson}(b_m a_t)$ with a national
//! arrival profile $a_t$ that peaks in 2015-2016 and a size $b_m$ proportional to the
//! municipality's population. The initial stock is proportional to $b_m$ with the same factor
//! in every group, so the influx changes the stock's composition alike everywhere (up to
//! noise). Arrivals carry their own mix of women, origins (Syria, Eritrea, other) and short
//! education, so the stock's composition and its mean years in Denmark move with the influx:
//! years in Denmark fall after 2015 and then rise again.
//!
//! **Local unemployment.** $U_{mt} = u_t\,k_m\,e^{0.03\,\nu_{mt}}$: the national rate $u_t$
//! (6.1 % in 2010 falling to 2.9 % in 2024) times a structural level
//! $k_m = K_{g}\,e^{0.22 z_m}$ (group levels $K$ = capital 1.10, big city 1.15, provincial
//! 1.05, commuter belt 0.80, rural 0.95). Where $k_m$ is high, unemployment falls more in
//! percentage points, so employment rises faster: **the trend of the outcome depends on the
//! frame condition `unemployment_rate`** (observed).
//!
//! **Employment.** The true employment rate is a linear index clipped to $[0.02, 0.95]$:
//!
//! $$p_{mt} = \mathrm{clip}\big(\mu_t + \alpha_m + x_{mt}'\beta + \varepsilon_{mt} + \tau_{mt}\big),
//! \quad \varepsilon_{mt} = \rho\,\varepsilon_{m,t-1} + \sigma\,\eta_{mt},$$
//!
//! and the employed count is $E_{mt} \sim \mathrm{Bin}(N_{mt}, p_{mt})$, the outcome
//! `employment_rate` $= E_{mt}/N_{mt}$ (so small municipalities are noisy). In words: a common
//! year path $\mu_t$, a municipality level $\alpha_m$ around its group's, frame conditions
//! $x_{mt}$ with the signs of the literature (per unit of share: local unemployment $-2.5$,
//! share of women $-0.35$, share with short education $-0.20$; $+0.03$ per year in Denmark,
//! counted up to 8 years), an AR(1) municipality shock independent of everything else, and the
//! treatment effect $\tau_{mt}$ (column `true_effect`, the sum of the four
//! `true_effect_<intervention>` columns):
//!
//! $$\tau_{mt} = s\,\big[\,\mathrm{IGU}_g(t - G^{igu}_m) + A_{mt}\,\mathrm{PART}_g(t - G^{part}_m)
//! + 0 \cdot \mathrm{programme}_{mt} + 0.10\,\mathrm{sprogpraktik}_{mt}\big],$$
//!
//! with $s$ = `effect_scale`, $A_{mt}$ = `partnership_active` and each dynamic effect counted
//! from the adoption year on (no anticipation). The effects, in percentage points (as shares
//! in the data) before scaling:
//!
//! | intervention | event time 0 | 1 | 2 | 3 | 4 | 5+ | by group (multiplier) |
//! |---|---|---|---|---|---|---|---|
//! | `igu` | 1 | 2.5 | 4 | 5.5 | 7 | 8 | capital 0.8, big city 0.9, provincial 1.0, commuter 1.15, rural 1.3 |
//! | `partnership` (while active) | 2 | 4 | 5 | 6 | 6 | 6 | capital 0.85, big city 0.9, provincial 1.0, commuter 1.1, rural 1.2 |
//! | `partnership` in Lejre (key `"Lejre"`) | 3 | 10 | 10 | 10 | 10 | 10 | replaces the group effect |
//! | `programme` | 0 | 0 | 0 | 0 | 0 | 0 | no effect anywhere |
//! | `sprogpraktik` (key `"all"`, event time 0) | 0.10 per unit of share | | | | | | linear, continuous |
//!
//! A partnership agreement's effect lasts while it is active: after an agreement with a fixed
//! term ends (`partnership_active` switches to 0) its effect is 0 (the firms stop hiring through
//! it; no lasting effect is simulated).
//!
//! **Adoption (the identification design).** Every adoption decision depends only on
//! observed, pre-period or time-invariant frame conditions and independent noise, never on the
//! shocks $\varepsilon$ or anything else that trends:
//!
//! - IGU (from 2016): score $= \pi_g + 2.5\,\ln(\bar U_m / \bar u) + \xi_m$, with $\bar U_m$ =
//!   `baseline_unemployment` (the municipality's mean local unemployment 2013-2015, observed),
//!   $\pi$ = capital $-0.4$, big city 0, provincial 0.2, commuter 0.4, rural 0.5 and
//!   $\xi_m \sim N(0,1)$. The 20 % with the lowest scores never adopt; the others adopt in
//!   order of their score (35 % in 2016, 30 % 2017, 20 % 2018, 15 % 2019). Adopters therefore
//!   have higher unemployment, whose fall raises their employment faster: **parallel trends
//!   hold conditional on `unemployment_rate`** (or `baseline_unemployment`), not
//!   unconditionally.
//! - Partnership agreements (2013-2022): score $= \rho_{r} + \xi'_m$ by region (Hovedstaden
//!   0.3, Sjælland -0.2, Syddanmark 0.2, Midtjylland 0, Nordjylland -0.3); 30 % never sign, the
//!   others sign in order of their score, evenly over 2013-2022. Independently of everything,
//!   30 % of the agreements have a two-year term (active in the signing year and the next, then
//!   `partnership_active = 0`); the others run to the end of the panel. Partnerships therefore
//!   overlap with IGU in many municipalities at different times, independently of IGU timing.
//! - Fixed cases (exogenous, as documented): Lejre (code 350) signs its partnership in 2015,
//!   never adopts IGU and has a large effect from 2016 (a natural synthetic-control case);
//!   Furesø (190) signs for 2017-2018 (a two-year term, so its agreement ends after 2018);
//!   Middelfart (410) adopts IGU in 2016 and signs an open-ended partnership in 2017.
//! - The programme (from 2016) is the 17 real municipalities; its effect is zero. They adopt
//!   IGU and partnerships like the others (Lejre is one of them), so a comparison of programme
//!   and other municipalities that ignores those interventions picks up their effects: the
//!   contamination the several-treatment estimators are for.
//! - The language-internship share `sprogpraktik_share` $= \mathrm{clip}(l_{g} + \lambda_m +
//!   c_t + 0.03\,\eta'_{mt}, 0, 0.3)$: a level by group plus a municipality level, a national
//!   year path $c_t$ (up to 0.08 in 2016-2018) and yearly noise, independent of the outcome's
//!   shocks: a continuous, year-varying dose with a constant linear effect.
//!
//! So with the frame condition `unemployment_rate` as a covariate (time-varying, as in
//! `did_imputation` and `sun_abraham`, or at the base period, as in `att_gt`), the robust
//! staggered estimators are unbiased for the IGU and partnership effects, while the naive
//! comparison (no covariate) overstates the IGU effect, and a static TWFE regression is biased
//! by the growing, heterogeneous effects and the several interventions it mixes. With
//! `effect_scale = 0` (the placebo world) the municipalities' traits, local unemployment and
//! every adoption year are identical and no effect exists (the outcome's noise is redrawn).
//!
//! Clipping to $[0.02, 0.95]$ is applied after the effects, so in a clipped row the realised
//! effect can be smaller than `true_effect` (it does not happen with the defaults).
//!
//! # Defaults
//!
//! [`MunicipalityPanelParams::default`]: seed 2016, years 2010-2024 (98 x 15 = 1,470 rows),
//! `effect_scale = 1`, AR(1) shocks with $\rho = 0.5$ and innovation sd 0.015, municipality
//! levels with sd 0.04 around their group. With the defaults the national employment rate
//! (employed over refugees, all municipalities) is about 27-28 % in 2010-2014, dips in
//! 2015-2016 and rises to 43-51 % in 2019-2024.
//!
//! # Errors
//!
//! [`ParamsError::InvalidParam`] for params out of range (see [`MunicipalityPanelParams`]).
//!
//! # Examples
//!
//! ```
//! use virkning::simulate::{simulate_municipalities, MunicipalityPanelParams};
//! let panel = simulate_municipalities(&MunicipalityPanelParams::default()).unwrap();
//! assert_eq!(panel.frame.n_rows(), 1470);
//! assert_eq!(panel.frame.names()[7], "employment_rate");
//! // The true IGU effect the estimators target (mean over the treated municipality-years).
//! let igu = panel.true_att("igu").unwrap();
//! assert!(igu.simple > 0.04 && igu.simple < 0.07);
//! // A placebo world: same data structure, no intervention works.
//! let placebo = simulate_municipalities(&MunicipalityPanelParams { effect_scale: 0.0, ..Default::default() }).unwrap();
//! assert!(placebo.true_effects.iter().all(|e| e.effect == 0.0));
//! ```
//!
//! # Determinism
//!
//! Every draw comes from ChaCha8 streams seeded by `seed` (one stream for the municipality
//! traits, one per municipality for its path, one per municipality for its unemployment path),
//! drawn sequentially: the panel is identical on every platform and for any number of threads.

use std::borrow::Cow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::data::{Column, Frame};
use crate::error::{Error, ParamsError};

mod effects;
mod registry;

use effects::{
    igu_effect, lejre_effect, partnership_effect, true_effect_table, LEJRE_PARTNERSHIP_YEAR, PARTNERSHIP_FIRST,
    PROGRAMME_YEAR, SPROGPRAKTIK_SLOPE,
};
pub use effects::{TrueAtt, TrueAttRow, TrueEffect};
pub(crate) use registry::{bundled_municipalities, population_thousands};

/// The five municipality groups, in the order used for the categorical column and the
/// [`TrueEffect`] table (capital area, big city, provincial town, commuter belt, rural).
pub const MUNICIPALITY_GROUPS: [&str; 5] =
    ["Hovedstadskommuner", "Storbykommuner", "Provinsbykommuner", "Oplandskommuner", "Landkommuner"];

/// Municipality code of Lejre, the early partnership adopter with a large effect.
pub const LEJRE_CODE: i64 = 350;
/// Municipality code of Furesø, whose partnership agreement ran 2017-2018 and then ended.
pub const FURESOE_CODE: i64 = 190;
/// Municipality code of Middelfart, which combined IGU (2016) with a partnership (2017).
pub const MIDDELFART_CODE: i64 = 410;

/// `municipality_group` key of Lejre's own partnership effect in [`SimulatedPanel::true_effects`].
pub const LEJRE_KEY: &str = "Lejre";

/// `municipality_group` key of the (group-independent) sprogpraktik effect in
/// [`SimulatedPanel::true_effects`].
pub const SPROGPRAKTIK_KEY: &str = "all";

/// The covariate under which parallel trends hold for every intervention (see the module
/// documentation): pass it as `covariates` to the staggered estimators.
pub const IDENTIFYING_COVARIATES: [&str; 1] = ["unemployment_rate"];

/// First year of the national profiles; years outside 2010-2024 reuse the nearest year.
const PROFILE_FIRST: i64 = 2010;

/// National arrival profile of adult refugees and family-reunified (share of the 2015 peak).
const ARRIVALS: [f64; 15] = [0.12, 0.13, 0.15, 0.22, 0.45, 1.0, 0.85, 0.30, 0.15, 0.10, 0.06, 0.05, 0.07, 0.06, 0.06];
/// National (gross) unemployment rate: high 2010-2013, falling to 2019, a bump in 2020, low after.
const UNEMPLOYMENT: [f64; 15] =
    [0.061, 0.061, 0.060, 0.058, 0.050, 0.046, 0.042, 0.043, 0.039, 0.037, 0.046, 0.036, 0.026, 0.028, 0.029];
/// Common year path of the employment index (the calibration knob).
const YEAR_PATH: [f64; 15] =
    [0.295, 0.294, 0.286, 0.286, 0.265, 0.262, 0.253, 0.300, 0.330, 0.350, 0.350, 0.352, 0.358, 0.365, 0.369];
/// Share of women among arrivals (men first in 2014-2015, family reunification after).
const WOMEN_ARRIVALS: [f64; 15] =
    [0.46, 0.46, 0.45, 0.42, 0.36, 0.33, 0.45, 0.55, 0.52, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50];
/// Share from Syria among arrivals.
const SYRIA_ARRIVALS: [f64; 15] =
    [0.04, 0.06, 0.18, 0.40, 0.55, 0.55, 0.50, 0.40, 0.28, 0.22, 0.18, 0.15, 0.12, 0.12, 0.12];
/// Share from Eritrea among arrivals.
const ERITREA_ARRIVALS: [f64; 15] =
    [0.03, 0.03, 0.03, 0.06, 0.25, 0.20, 0.15, 0.14, 0.12, 0.10, 0.10, 0.09, 0.08, 0.08, 0.08];
/// National year path of the language-internship share.
const SPROGPRAKTIK_PATH: [f64; 15] =
    [0.01, 0.01, 0.01, 0.02, 0.03, 0.05, 0.08, 0.08, 0.08, 0.06, 0.04, 0.04, 0.04, 0.04, 0.04];

/// Yearly outflow share of the refugee stock.
const OUTFLOW: f64 = 0.07;
/// Minimum stock (keeps every rate defined).
const MIN_STOCK: u64 = 5;
/// Centring points of the frame conditions in the employment index.
const CENTRE_UNEMPLOYMENT: f64 = 0.045;
const CENTRE_WOMEN: f64 = 0.45;
const CENTRE_SHORT_EDUCATION: f64 = 0.50;
const CENTRE_YEARS: f64 = 7.0;
/// Slopes of the frame conditions.
const BETA_UNEMPLOYMENT: f64 = -2.5;
const BETA_WOMEN: f64 = -0.35;
const BETA_SHORT_EDUCATION: f64 = -0.20;
const BETA_YEARS: f64 = 0.03;
const YEARS_CAP: f64 = 8.0;

/// Municipality level by group (deviation from the year path).
const ALPHA_GROUP: [f64; 5] = [-0.01, -0.02, -0.01, 0.015, 0.01];
/// Arrival intensity by group (the initial stock is `INITIAL_STOCK` times the arrival size).
const ARRIVAL_GROUP: [f64; 5] = [0.75, 0.8, 1.0, 1.1, 1.1];
const INITIAL_STOCK: f64 = 1.5;
/// Structural unemployment level by group, its spread within a group and its yearly noise.
const UNEMPLOYMENT_GROUP: [f64; 5] = [1.10, 1.15, 1.05, 0.80, 0.95];
const UNEMPLOYMENT_SD: f64 = 0.22;
const UNEMPLOYMENT_NOISE: f64 = 0.03;
/// Years averaged into `baseline_unemployment`.
const BASELINE_YEARS: (i64, i64) = (2013, 2015);
/// Language-internship level by group.
const SPROGPRAKTIK_GROUP: [f64; 5] = [0.03, 0.04, 0.05, 0.06, 0.06];

/// IGU adoption propensity by group and its slope on log baseline unemployment.
const IGU_PROPENSITY: [f64; 5] = [-0.4, 0.0, 0.2, 0.4, 0.5];
const IGU_UNEMPLOYMENT_SLOPE: f64 = 2.5;
/// Partnership propensity by region.
const PARTNERSHIP_REGION: [(&str, f64); 5] =
    [("Hovedstaden", 0.3), ("Sjælland", -0.2), ("Syddanmark", 0.2), ("Midtjylland", 0.0), ("Nordjylland", -0.3)];
/// Share of partnership agreements with a two-year term.
const PARTNERSHIP_FIXED_TERM: f64 = 0.3;
const PARTNERSHIP_TERM_YEARS: i64 = 2;

/// Adoption years of IGU and the share of adopters starting in each.
const IGU_YEARS: [(i64, f64); 4] = [(2016, 0.35), (2017, 0.30), (2018, 0.20), (2019, 0.15)];
/// Shares that never adopt.
const IGU_NEVER: f64 = 0.20;
const PARTNERSHIP_NEVER: f64 = 0.30;
/// Partnership agreements are signed in `PARTNERSHIP_FIRST..=PARTNERSHIP_LAST`.
const PARTNERSHIP_LAST: i64 = 2022;
/// Furesø's agreement (2017-2018) and Middelfart's IGU and partnership years.
const FURESOE_PARTNERSHIP_YEAR: i64 = 2017;
const MIDDELFART_IGU_YEAR: i64 = 2016;
const MIDDELFART_PARTNERSHIP_YEAR: i64 = 2017;

/// Parameters of the simulated municipality panel.
///
/// # Defaults
///
/// - `seed`: `2016`.
/// - `first_year`: `2010`, `last_year`: `2024` (15 years, 1,470 rows).
/// - `effect_scale`: `1.0`; multiplies every true effect (`0.0` gives a placebo world).
/// - `shock_rho`: `0.5`, AR(1) coefficient of the municipality shocks.
/// - `shock_sd`: `0.015`, standard deviation of the shock innovations (share of employment).
/// - `municipality_sd`: `0.04`, standard deviation of the municipality levels around their group.
///
/// # Errors
///
/// [`simulate_municipalities`] returns [`ParamsError::InvalidParam`] when `first_year > 2015`
/// (no adoption year would fall in the panel), `last_year < first_year + 4`, the panel is longer
/// than 100 years, `effect_scale` is not finite, `shock_rho` is outside $(-1, 1)$, or a standard
/// deviation is negative or not finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MunicipalityPanelParams {
    /// Seed of every random draw.
    pub seed: u64,
    /// First year in the panel (at most 2015).
    pub first_year: i64,
    /// Last year in the panel (at least `first_year + 4`).
    pub last_year: i64,
    /// Multiplies every true effect; `0.0` gives a world where no intervention works.
    pub effect_scale: f64,
    /// AR(1) coefficient of the municipality shocks.
    pub shock_rho: f64,
    /// Standard deviation of the shock innovations.
    pub shock_sd: f64,
    /// Standard deviation of the municipality levels around their group mean.
    pub municipality_sd: f64,
}

impl Default for MunicipalityPanelParams {
    fn default() -> Self {
        MunicipalityPanelParams {
            seed: 2016,
            first_year: 2010,
            last_year: 2024,
            effect_scale: 1.0,
            shock_rho: 0.5,
            shock_sd: 0.015,
            municipality_sd: 0.04,
        }
    }
}

impl MunicipalityPanelParams {
    /// Check every option (see the `# Errors` section of [`MunicipalityPanelParams`]).
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |name: &'static str, value: String, reason: &str| {
            Err(ParamsError::InvalidParam { name, value, reason: reason.to_string() })
        };
        if self.first_year > 2015 {
            return bad(
                "first_year",
                self.first_year.to_string(),
                "must be at most 2015 so that adoption years fall in the panel",
            );
        }
        if self.first_year < 1900 {
            return bad("first_year", self.first_year.to_string(), "must be at least 1900");
        }
        if self.last_year < self.first_year + 4 {
            return bad("last_year", self.last_year.to_string(), "must be at least first_year + 4");
        }
        if self.last_year > self.first_year + 100 {
            return bad("last_year", self.last_year.to_string(), "the panel can be at most 101 years long");
        }
        if !self.effect_scale.is_finite() {
            return bad("effect_scale", self.effect_scale.to_string(), "must be finite");
        }
        if !(self.shock_rho.is_finite() && self.shock_rho.abs() < 1.0) {
            return bad("shock_rho", self.shock_rho.to_string(), "must be in (-1, 1)");
        }
        if !(self.shock_sd.is_finite() && self.shock_sd >= 0.0) {
            return bad("shock_sd", self.shock_sd.to_string(), "must be finite and non-negative");
        }
        if !(self.municipality_sd.is_finite() && self.municipality_sd >= 0.0) {
            return bad("municipality_sd", self.municipality_sd.to_string(), "must be finite and non-negative");
        }
        Ok(())
    }
}

/// The simulated panel, its true effects and the params that produced it.
///
/// The frame has one row per municipality and year (sorted by municipality code, then year)
/// and these columns, in order:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `municipality_code` | Int | official code (real) |
/// | `municipality` | Categorical | name (real) |
/// | `region` | Categorical | region (real) |
/// | `municipality_group` | Categorical | one of [`MUNICIPALITY_GROUPS`] (real) |
/// | `year` | Int | calendar year |
/// | `refugees` | Float | refugees and family-reunified aged 18-66 (a count) |
/// | `employed` | Float | of them in employment (a count, `<= refugees`) |
/// | `employment_rate` | Float | `employed / refugees`: **the outcome** |
/// | `unemployment_rate` | Float | local unemployment rate (share) |
/// | `share_women` | Float | share of women among the refugees |
/// | `share_short_education` | Float | share with short education |
/// | `share_syria`, `share_eritrea`, `share_other_origin` | Float | origin shares (sum to 1) |
/// | `mean_years_in_denmark` | Float | mean years since arrival |
/// | `igu_year` | Int | IGU adoption year, 0 = never |
/// | `igu` | Float | 1 from `igu_year` on |
/// | `partnership_year` | Int | partnership agreement year, 0 = never |
/// | `partnership` | Float | 1 from `partnership_year` on (signed, absorbing) |
/// | `programme_year` | Int | 2016 for the 17 programme municipalities (real), else 0 |
/// | `programme` | Float | 1 from 2016 on in the programme municipalities (true effect 0) |
/// | `sprogpraktik_share` | Float | share of refugees in language internships (0-0.3) |
/// | `true_effect` | Float | sum of the true effects in the row |
/// | `partnership_end_year` | Int | last year of a fixed-term agreement, 0 = open-ended or none |
/// | `partnership_active` | Float | 1 while the agreement is in force (switches off after its term) |
/// | `baseline_unemployment` | Float | mean `unemployment_rate` 2013-2015 (time-invariant) |
/// | `true_effect_igu`, `true_effect_partnership`, `true_effect_programme`, `true_effect_sprogpraktik` | Float | each intervention's own true effect in the row |
///
/// Everything except the real names, codes, regions, groups and programme membership is
/// **simulated**.
#[derive(Debug, Clone)]
pub struct SimulatedPanel {
    /// The panel (owned columns).
    pub frame: Frame<'static>,
    /// Every true effect used, by intervention, municipality group and event time.
    pub true_effects: Vec<TrueEffect>,
    /// The params that produced the panel.
    pub params: MunicipalityPanelParams,
}

impl SimulatedPanel {
    /// The true effect of `intervention` in `municipality_group` at `event_time`, if listed.
    pub fn true_effect(&self, intervention: &str, municipality_group: &str, event_time: i64) -> Option<f64> {
        self.true_effects
            .iter()
            .find(|e| {
                e.intervention == intervention
                    && e.municipality_group == municipality_group
                    && e.event_time == event_time
            })
            .map(|e| e.effect)
    }

    /// The true simple and event-time ATT of `intervention` (`"igu"`, `"partnership"` or
    /// `"programme"`) on this panel's treated cells, aggregated as the staggered estimators
    /// aggregate (see [`TrueAtt`] for the exact average); `None` for another name.
    pub fn true_att(&self, intervention: &str) -> Option<TrueAtt> {
        effects::true_att(&self.frame, intervention)
    }
}

/// A national profile at `year` (the nearest profile year outside 2010-2024).
fn at(table: &[f64; 15], year: i64) -> f64 {
    let i = (year - PROFILE_FIRST).clamp(0, 14) as usize;
    table[i]
}

pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> Result<u64, Error> {
    let d = Binomial::new(n, p.clamp(0.0, 1.0)).map_err(|e| {
        Error::Params(ParamsError::InvalidParam { name: "params", value: format!("p = {p}"), reason: e.to_string() })
    })?;
    Ok(d.sample(rng))
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> Result<u64, Error> {
    if lambda.is_nan() || lambda <= 0.0 {
        return Ok(0);
    }
    let d = Poisson::new(lambda).map_err(|e| {
        Error::Params(ParamsError::InvalidParam {
            name: "params",
            value: format!("lambda = {lambda}"),
            reason: e.to_string(),
        })
    })?;
    let x: f64 = d.sample(rng);
    Ok(x.max(0.0) as u64)
}

/// Municipality traits drawn once per municipality.
struct Traits {
    arrival_base: f64,
    initial_stock: f64,
    alpha: f64,
    women_offset: f64,
    education_offset: f64,
    syria_tilt: f64,
    eritrea_tilt: f64,
    sprogpraktik_level: f64,
    igu_noise: f64,
    partnership_noise: f64,
    fixed_term: bool,
}

/// Rank-based adoption: the `never` share with the lowest scores never adopts; the others adopt
/// in order of their score, split over `years` by the given shares.
fn assign_years(scores: &[(usize, f64)], never: f64, years: &[(i64, f64)], out: &mut [i64]) {
    let mut order: Vec<(usize, f64)> = scores.to_vec();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = order.len();
    let n_adopt = n - ((never * n as f64).round() as usize).min(n);
    for (rank, (idx, _)) in order.iter().enumerate() {
        if rank >= n_adopt {
            out[*idx] = 0;
            continue;
        }
        let q = (rank as f64 + 0.5) / n_adopt as f64;
        let mut cum = 0.0;
        let mut year = years.last().map(|y| y.0).unwrap_or(0);
        for (y, share) in years {
            cum += share;
            if q < cum {
                year = *y;
                break;
            }
        }
        out[*idx] = year;
    }
}

/// Local unemployment path of every municipality for `from..=to` (its own stream per
/// municipality, independent of the outcome's draws).
fn unemployment_paths(seed: u64, k: &[f64], from: i64, to: i64) -> Vec<Vec<f64>> {
    k.iter()
        .enumerate()
        .map(|(i, &k_m)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(10_000 + i as u64);
            (from..=to).map(|y| at(&UNEMPLOYMENT, y) * k_m * (UNEMPLOYMENT_NOISE * normal(&mut rng)).exp()).collect()
        })
        .collect()
}

/// Adoption years of IGU and partnerships, and whether each agreement has a fixed term
/// (see the module documentation; Lejre, Furesø and Middelfart are fixed).
fn adoption(munis: &[registry::Municipality], traits: &[Traits], baseline: &[f64]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let n_m = munis.len();
    let national = baseline.iter().sum::<f64>() / n_m as f64;
    // Lejre and Middelfart have fixed IGU years; those two and Furesø fixed partnerships.
    let eligible = |fixed: &[i64], f: &dyn Fn(usize) -> f64| -> Vec<(usize, f64)> {
        (0..n_m).filter(|&i| !fixed.contains(&munis[i].code)).map(|i| (i, f(i))).collect()
    };
    let mut igu_year = vec![0i64; n_m];
    let mut partnership_year = vec![0i64; n_m];
    let igu_score = |i: usize| {
        IGU_PROPENSITY[munis[i].group] + IGU_UNEMPLOYMENT_SLOPE * (baseline[i] / national).ln() + traits[i].igu_noise
    };
    assign_years(&eligible(&[LEJRE_CODE, MIDDELFART_CODE], &igu_score), IGU_NEVER, &IGU_YEARS, &mut igu_year);
    let n_part_years = (PARTNERSHIP_LAST - PARTNERSHIP_FIRST + 1) as usize;
    let part_years: Vec<(i64, f64)> =
        (PARTNERSHIP_FIRST..=PARTNERSHIP_LAST).map(|y| (y, 1.0 / n_part_years as f64)).collect();
    let part_score = |i: usize| {
        let region = PARTNERSHIP_REGION.iter().find(|r| r.0 == munis[i].region).map(|r| r.1).unwrap_or(0.0);
        region + traits[i].partnership_noise
    };
    assign_years(
        &eligible(&[LEJRE_CODE, FURESOE_CODE, MIDDELFART_CODE], &part_score),
        PARTNERSHIP_NEVER,
        &part_years,
        &mut partnership_year,
    );
    let mut end_year = vec![0i64; n_m];
    for (i, m) in munis.iter().enumerate() {
        match m.code {
            LEJRE_CODE => {
                igu_year[i] = 0;
                partnership_year[i] = LEJRE_PARTNERSHIP_YEAR;
            }
            FURESOE_CODE => {
                partnership_year[i] = FURESOE_PARTNERSHIP_YEAR;
                end_year[i] = FURESOE_PARTNERSHIP_YEAR + PARTNERSHIP_TERM_YEARS - 1;
            }
            MIDDELFART_CODE => {
                igu_year[i] = MIDDELFART_IGU_YEAR;
                partnership_year[i] = MIDDELFART_PARTNERSHIP_YEAR;
            }
            _ => {
                if partnership_year[i] > 0 && traits[i].fixed_term {
                    end_year[i] = partnership_year[i] + PARTNERSHIP_TERM_YEARS - 1;
                }
            }
        }
    }
    (igu_year, partnership_year, end_year)
}

/// Simulate the municipality panel.
///
/// Builds one row per municipality (the 98 real ones) and year in
/// `first_year..=last_year`, with simulated outcomes and known true effects; see the
/// [module documentation](crate::simulate::municipalities) for the model and [`SimulatedPanel`] for the columns.
/// **The numbers are simulated**: real names and structure, simulated data.
///
/// # Defaults
///
/// See [`MunicipalityPanelParams`]: seed 2016, 2010-2024, `effect_scale = 1`.
///
/// # Errors
///
/// [`ParamsError::InvalidParam`] for invalid params (see [`MunicipalityPanelParams`]).
///
/// # Examples
///
/// ```
/// use virkning::simulate::{simulate_municipalities, MunicipalityPanelParams};
/// let panel = simulate_municipalities(&MunicipalityPanelParams::default()).unwrap();
/// assert_eq!(panel.frame.n_rows(), 1470);
/// // Lejre's partnership effect from its second year on: 10 percentage points.
/// assert_eq!(panel.true_effect("partnership", "Lejre", 1), Some(0.10));
/// // The programme has no effect.
/// assert_eq!(panel.true_effect("programme", "Oplandskommuner", 2), Some(0.0));
/// ```
pub fn simulate_municipalities(params: &MunicipalityPanelParams) -> Result<SimulatedPanel, Error> {
    params.validate()?;
    let munis = bundled_municipalities()?;
    let n_m = munis.len();
    let scale = params.effect_scale;

    // Municipality traits (stream 0).
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    rng.set_stream(0);
    let mut traits = Vec::with_capacity(n_m);
    let mut k = Vec::with_capacity(n_m);
    for m in &munis {
        let g = m.group;
        let pop = population_thousands(m.code);
        // Intake per inhabitant varies less in large municipalities (quota dispersal).
        let size = (0.25 * (50.0 / pop).sqrt().min(1.0) * normal(&mut rng)).exp();
        let arrival_base = 2.5 * pop * ARRIVAL_GROUP[g] * size;
        let initial_stock = INITIAL_STOCK * arrival_base * (0.2 * normal(&mut rng)).exp();
        k.push(UNEMPLOYMENT_GROUP[g] * (UNEMPLOYMENT_SD * normal(&mut rng)).exp());
        traits.push(Traits {
            arrival_base,
            initial_stock,
            alpha: ALPHA_GROUP[g] + params.municipality_sd * normal(&mut rng),
            women_offset: 0.03 * normal(&mut rng),
            education_offset: 0.04 * normal(&mut rng),
            syria_tilt: 0.3 * normal(&mut rng),
            eritrea_tilt: 0.4 * normal(&mut rng),
            sprogpraktik_level: SPROGPRAKTIK_GROUP[g] + 0.02 * normal(&mut rng),
            igu_noise: normal(&mut rng),
            partnership_noise: normal(&mut rng),
            fixed_term: rng.random_range(0.0..1.0) < PARTNERSHIP_FIXED_TERM,
        });
    }

    // Local unemployment (own streams), the observed baseline, and adoption from it.
    let sim_start = params.first_year.min(PROFILE_FIRST);
    let u_last = params.last_year.max(BASELINE_YEARS.1);
    let unemployment = unemployment_paths(params.seed, &k, sim_start, u_last);
    let baseline: Vec<f64> = unemployment
        .iter()
        .map(|u| {
            let years = BASELINE_YEARS.0..=BASELINE_YEARS.1;
            let n = years.clone().count() as f64;
            years.map(|y| u[(y - sim_start) as usize]).sum::<f64>() / n
        })
        .collect();
    let (igu_year, partnership_year, end_year) = adoption(&munis, &traits, &baseline);

    // Paths (one stream per municipality), from min(first_year, 2010) so the stock has a history.
    let n_t = (params.last_year - params.first_year + 1) as usize;
    let n = n_m * n_t;
    let mut cols = Columns::with_capacity(n);
    let mut regions: Vec<String> = Vec::new();
    for m in &munis {
        if !regions.contains(&m.region) {
            regions.push(m.region.clone());
        }
    }

    for (i, (m, tr)) in munis.iter().zip(&traits).enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(1 + i as u64);
        let g = m.group;
        let region_code = regions.iter().position(|r| *r == m.region).unwrap_or(0) as i64;

        // Initial stock (end of the year before `sim_start`) and its composition.
        let mut stock = poisson(&mut rng, tr.initial_stock)?.max(MIN_STOCK);
        let mut years_mean = 8.0 + 0.8 * normal(&mut rng);
        let mut women = (0.47 + tr.women_offset).clamp(0.1, 0.9);
        let mut short = (0.47 + tr.education_offset).clamp(0.1, 0.9);
        let mut syria = 0.03;
        let mut eritrea = 0.02;
        let mut shock = params.shock_sd / (1.0 - params.shock_rho * params.shock_rho).sqrt() * normal(&mut rng);

        for year in sim_start..=params.last_year {
            // Stock: survivors plus arrivals, with the arrivals' composition.
            let survivors = binomial(&mut rng, stock, 1.0 - OUTFLOW)?;
            let lambda = tr.arrival_base * at(&ARRIVALS, year) * (0.15 * normal(&mut rng)).exp();
            let arrivals = poisson(&mut rng, lambda)?.max(MIN_STOCK.saturating_sub(survivors));
            let new_stock = survivors + arrivals;
            let (s, a, tot) = (survivors as f64, arrivals as f64, new_stock as f64);
            let arr_women = (at(&WOMEN_ARRIVALS, year) + tr.women_offset + 0.03 * normal(&mut rng)).clamp(0.05, 0.95);
            let syr_raw = at(&SYRIA_ARRIVALS, year) * (tr.syria_tilt + 0.1 * normal(&mut rng)).exp();
            let eri_raw = at(&ERITREA_ARRIVALS, year) * (tr.eritrea_tilt + 0.1 * normal(&mut rng)).exp();
            let oth_raw = (1.0 - at(&SYRIA_ARRIVALS, year) - at(&ERITREA_ARRIVALS, year)).max(0.05);
            let norm = syr_raw + eri_raw + oth_raw;
            let (arr_syr, arr_eri, arr_oth) = (syr_raw / norm, eri_raw / norm, oth_raw / norm);
            let arr_short =
                (0.45 * arr_oth + 0.55 * arr_syr + 0.75 * arr_eri + tr.education_offset + 0.03 * normal(&mut rng))
                    .clamp(0.05, 0.95);
            years_mean = ((years_mean + 1.0) * s + 0.5 * a) / tot;
            women = (women * s + arr_women * a) / tot;
            short = (short * s + arr_short * a) / tot;
            syria = (syria * s + arr_syr * a) / tot;
            eritrea = (eritrea * s + arr_eri * a) / tot;
            let other = (1.0 - syria - eritrea).max(0.0);
            stock = new_stock;

            let unemp = unemployment[i][(year - sim_start) as usize];
            let sprog =
                (tr.sprogpraktik_level + at(&SPROGPRAKTIK_PATH, year) + 0.03 * normal(&mut rng)).clamp(0.0, 0.3);
            shock = params.shock_rho * shock + params.shock_sd * normal(&mut rng);

            // Treatment and effects.
            let igu_on = igu_year[i] > 0 && year >= igu_year[i];
            let part_on = partnership_year[i] > 0 && year >= partnership_year[i];
            let part_active = part_on && (end_year[i] == 0 || year <= end_year[i]);
            let prog_on = m.programme && year >= PROGRAMME_YEAR;
            let tau_igu = if igu_on { scale * igu_effect(g, year - igu_year[i]) } else { 0.0 };
            let tau_part = if part_active {
                let e = year - partnership_year[i];
                scale * if m.code == LEJRE_CODE { lejre_effect(e) } else { partnership_effect(g, e) }
            } else {
                0.0
            };
            let tau_prog = 0.0;
            let tau_sprog = scale * SPROGPRAKTIK_SLOPE * sprog;
            let tau = tau_igu + tau_part + tau_prog + tau_sprog;

            let index = at(&YEAR_PATH, year)
                + tr.alpha
                + BETA_UNEMPLOYMENT * (unemp - CENTRE_UNEMPLOYMENT)
                + BETA_WOMEN * (women - CENTRE_WOMEN)
                + BETA_SHORT_EDUCATION * (short - CENTRE_SHORT_EDUCATION)
                + BETA_YEARS * (years_mean.min(YEARS_CAP) - CENTRE_YEARS)
                + shock
                + tau;
            let p = index.clamp(0.02, 0.95);
            let employed = binomial(&mut rng, stock, p)?;

            if year < params.first_year {
                continue;
            }
            let c = &mut cols;
            c.code.push(m.code);
            c.name.push(i as i64);
            c.region.push(region_code);
            c.group.push(g as i64);
            c.year.push(year);
            c.refugees.push(stock as f64);
            c.employed.push(employed as f64);
            c.rate.push(employed as f64 / stock as f64);
            c.unemp.push(unemp);
            c.women.push(women);
            c.short.push(short);
            c.syria.push(syria);
            c.eritrea.push(eritrea);
            c.other.push(other);
            c.years.push(years_mean);
            c.igu_year.push(igu_year[i]);
            c.igu.push(f64::from(u8::from(igu_on)));
            c.part_year.push(partnership_year[i]);
            c.part.push(f64::from(u8::from(part_on)));
            c.prog_year.push(if m.programme { PROGRAMME_YEAR } else { 0 });
            c.prog.push(f64::from(u8::from(prog_on)));
            c.sprog.push(sprog);
            c.truth.push(tau);
            c.part_end.push(end_year[i]);
            c.part_active.push(f64::from(u8::from(part_active)));
            c.baseline.push(baseline[i]);
            c.truth_igu.push(tau_igu);
            c.truth_part.push(tau_part);
            c.truth_prog.push(tau_prog);
            c.truth_sprog.push(tau_sprog);
        }
    }

    let names: Vec<String> = munis.iter().map(|m| m.name.clone()).collect();
    let frame = cols.into_frame(names, regions)?;
    Ok(SimulatedPanel { frame, true_effects: true_effect_table(params), params: params.clone() })
}

/// The output columns, filled row by row.
#[derive(Default)]
struct Columns {
    code: Vec<i64>,
    name: Vec<i64>,
    region: Vec<i64>,
    group: Vec<i64>,
    year: Vec<i64>,
    refugees: Vec<f64>,
    employed: Vec<f64>,
    rate: Vec<f64>,
    unemp: Vec<f64>,
    women: Vec<f64>,
    short: Vec<f64>,
    syria: Vec<f64>,
    eritrea: Vec<f64>,
    other: Vec<f64>,
    years: Vec<f64>,
    igu_year: Vec<i64>,
    igu: Vec<f64>,
    part_year: Vec<i64>,
    part: Vec<f64>,
    prog_year: Vec<i64>,
    prog: Vec<f64>,
    sprog: Vec<f64>,
    truth: Vec<f64>,
    part_end: Vec<i64>,
    part_active: Vec<f64>,
    baseline: Vec<f64>,
    truth_igu: Vec<f64>,
    truth_part: Vec<f64>,
    truth_prog: Vec<f64>,
    truth_sprog: Vec<f64>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        let mut c = Columns::default();
        c.code.reserve(n);
        c.year.reserve(n);
        c.rate.reserve(n);
        c
    }

    fn into_frame(self, names: Vec<String>, regions: Vec<String>) -> Result<Frame<'static>, Error> {
        let float = |v: Vec<f64>| Column::Float(Cow::Owned(v));
        let int = |v: Vec<i64>| Column::Int(Cow::Owned(v));
        let cat = |codes: Vec<i64>, labels: Vec<String>| Column::Categorical { codes: Cow::Owned(codes), labels };
        let groups: Vec<String> = MUNICIPALITY_GROUPS.iter().map(|g| g.to_string()).collect();
        Ok(Frame::new()
            .with_column("municipality_code", int(self.code))?
            .with_column("municipality", cat(self.name, names))?
            .with_column("region", cat(self.region, regions))?
            .with_column("municipality_group", cat(self.group, groups))?
            .with_column("year", int(self.year))?
            .with_column("refugees", float(self.refugees))?
            .with_column("employed", float(self.employed))?
            .with_column("employment_rate", float(self.rate))?
            .with_column("unemployment_rate", float(self.unemp))?
            .with_column("share_women", float(self.women))?
            .with_column("share_short_education", float(self.short))?
            .with_column("share_syria", float(self.syria))?
            .with_column("share_eritrea", float(self.eritrea))?
            .with_column("share_other_origin", float(self.other))?
            .with_column("mean_years_in_denmark", float(self.years))?
            .with_column("igu_year", int(self.igu_year))?
            .with_column("igu", float(self.igu))?
            .with_column("partnership_year", int(self.part_year))?
            .with_column("partnership", float(self.part))?
            .with_column("programme_year", int(self.prog_year))?
            .with_column("programme", float(self.prog))?
            .with_column("sprogpraktik_share", float(self.sprog))?
            .with_column("true_effect", float(self.truth))?
            .with_column("partnership_end_year", int(self.part_end))?
            .with_column("partnership_active", float(self.part_active))?
            .with_column("baseline_unemployment", float(self.baseline))?
            .with_column("true_effect_igu", float(self.truth_igu))?
            .with_column("true_effect_partnership", float(self.truth_part))?
            .with_column("true_effect_programme", float(self.truth_prog))?
            .with_column("true_effect_sprogpraktik", float(self.truth_sprog))?)
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulate_bundled_csv_parses() {
        let m = bundled_municipalities().unwrap();
        assert_eq!(m.len(), 98);
        assert_eq!(m.iter().filter(|m| m.programme).count(), 17);
        assert!(m.iter().any(|m| m.name == "Sønderborg"));
        // Every bundled code has its own population entry (30.0 is the fallback).
        assert!(m.iter().all(|m| population_thousands(m.code) != 30.0));
    }

    #[test]
    fn simulate_rejects_bad_params() {
        let bad = [
            MunicipalityPanelParams { first_year: 2016, ..Default::default() },
            MunicipalityPanelParams { last_year: 2013, ..Default::default() },
            MunicipalityPanelParams { effect_scale: f64::NAN, ..Default::default() },
            MunicipalityPanelParams { shock_rho: 1.0, ..Default::default() },
            MunicipalityPanelParams { shock_sd: -1.0, ..Default::default() },
        ];
        for p in bad {
            assert!(matches!(simulate_municipalities(&p), Err(Error::Params(ParamsError::InvalidParam { .. }))));
        }
    }

    #[test]
    fn simulate_other_windows_work() {
        let p = MunicipalityPanelParams { first_year: 2005, last_year: 2009, ..Default::default() };
        let s = simulate_municipalities(&p).unwrap();
        assert_eq!(s.frame.n_rows(), 98 * 5);
        assert!(s.true_effects.iter().all(|e| e.intervention == "sprogpraktik"));
        let p = MunicipalityPanelParams { first_year: 2015, last_year: 2030, ..Default::default() };
        assert_eq!(simulate_municipalities(&p).unwrap().frame.n_rows(), 98 * 16);
    }
}
