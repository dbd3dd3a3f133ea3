//! A simulated panel of the 98 Danish municipalities, 2010-2024, with known true effects.
//!
//! **The outcomes are simulated.** Names, codes, regions, municipality groups and the 17
//! municipalities of the programme "I mål med integration" are real (from the bundled
//! `municipalities.csv`); every number (refugee counts, employment, frame conditions, adoption
//! years, effects) is drawn from the model below. The panel is a stage on which estimators can
//! be shown to recover effects the user can look up in [`SimulatedPanel::true_effects`], not a
//! description of Denmark.
//!
//! # Model
//!
//! One row per municipality $m$ and year $t$.
//!
//! **Refugee stock.** Adult refugees and family-reunified (18-66) in municipality $m$ follow a
//! cohort model: each year a share $q = 0.07$ leaves (moves, ages out), survivors are
//! $\mathrm{Bin}(N_{m,t-1}, 1-q)$, and arrivals are $\mathrm{Poisson}(b_m a_t)$ with a national
//! arrival profile $a_t$ that peaks in 2015-2016 and a size $b_m$ proportional to the
//! municipality's population (larger in the cities, with a larger initial stock in the capital
//! area and the big cities). The stock rises steeply in 2014-2016 and then falls slowly.
//! Arrivals carry their own mix of women, origins (Syria, Eritrea, other) and short education,
//! so the stock's composition and its mean years in Denmark move with the influx: years in
//! Denmark fall after 2015 and then rise again.
//!
//! **Employment.** The true employment rate is a linear index clipped to $[0.02, 0.95]$:
//!
//! $$p_{mt} = \mathrm{clip}\big(\mu_t + \alpha_m + x_{mt}'\beta + \varepsilon_{mt} + \tau_{mt}\big),
//! \quad \varepsilon_{mt} = \rho\,\varepsilon_{m,t-1} + \sigma\,\eta_{mt},$$
//!
//! and the employed count is $E_{mt} \sim \mathrm{Bin}(N_{mt}, p_{mt})$, the outcome
//! `employment_rate` $= E_{mt}/N_{mt}$ (so small municipalities are noisy). In words: a common
//! year path $\mu_t$ (about 27 % before the influx, a dip in 2015-2016, rising to about 45 % by
//! 2019), a municipality level $\alpha_m$ that depends on the municipality group, frame
//! conditions $x_{mt}$ with the signs of the literature (per unit of share: local unemployment
//! $-2.5$, share of women $-0.35$, share with short education $-0.20$; $+0.03$ per year in
//! Denmark, counted up to 8 years), an AR(1) municipality shock, and the treatment effect
//! $\tau_{mt}$, which is exactly the `true_effect` column:
//!
//! $$\tau_{mt} = s\,\big[\,\mathrm{IGU}_g(t - G^{igu}_m) + \mathrm{PART}_g(t - G^{part}_m)
//! + 0 \cdot \mathrm{programme}_{mt} + 0.10\,\mathrm{sprogpraktik}_{mt}\big],$$
//!
//! with $s$ = `effect_scale`, $g$ the municipality group and each dynamic effect counted from
//! the adoption year on (no anticipation). The effects, in percentage points (as shares in the
//! data) before scaling:
//!
//! | intervention | event time 0 | 1 | 2 | 3+ | by group (multiplier) |
//! |---|---|---|---|---|---|
//! | `igu` | 1 | 2 | 3 | 3 | capital 0.8, big city 0.9, provincial 1.0, commuter 1.15, rural 1.3 |
//! | `partnership` | 2 | 4 | 5 | 6 | capital 0.85, big city 0.9, provincial 1.0, commuter 1.1, rural 1.2 |
//! | `partnership` in Lejre (key `"Lejre"`) | 3 | 10 | 10 | 10 | replaces the group effect |
//! | `programme` | 0 | 0 | 0 | 0 | no effect anywhere |
//! | `sprogpraktik` (key `"all"`, event time 0) | 0.10 per unit of share | | | | linear, continuous |
//!
//! **Adoption.** IGU is adopted 2016-2019 by about 80 % of the municipalities (earlier in rural
//! and commuter-belt municipalities and where unemployment is high); partnership agreements
//! are signed 2013-2022 by about 70 % (earlier where unemployment is high). Lejre (code 350)
//! signs its partnership in 2015, never adopts IGU, and has a large effect from 2016: a natural
//! synthetic-control case. Adoption depends on levels of the frame conditions, not on shocks to
//! the outcome, so parallel trends hold conditionally on the frame conditions (and
//! approximately without them), while naive comparisons of adopters and non-adopters differ
//! from the truth. The language-internship share (`sprogpraktik_share`) is higher where many
//! refugees are new, so its effect is identified conditionally on `mean_years_in_denmark`.
//! The programme municipalities are real, the programme effect is zero.
//!
//! Clipping to $[0.02, 0.95]$ is applied after the effects, so in a clipped row the realised
//! effect can be smaller than `true_effect` (rare with the defaults).
//!
//! # Defaults
//!
//! [`MunicipalityPanelParams::default`]: seed 2016, years 2010-2024 (98 x 15 = 1,470 rows),
//! `effect_scale = 1`, AR(1) shocks with $\rho = 0.5$ and innovation sd 0.015, municipality
//! levels with sd 0.04 around their group. With the defaults the national employment rate
//! (employed over refugees, all municipalities) is about 27-28 % in 2010-2014, dips to about
//! 25-26 % in 2015-2016 and rises to 43-51 % in 2019-2024.
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
//! // A placebo world: same data structure, no intervention works.
//! let placebo = simulate_municipalities(&MunicipalityPanelParams { effect_scale: 0.0, ..Default::default() }).unwrap();
//! assert!(placebo.true_effects.iter().all(|e| e.effect == 0.0));
//! ```
//!
//! # Determinism
//!
//! Every draw comes from ChaCha8 streams seeded by `seed` (one stream for the municipality
//! traits, one per municipality for its path), drawn sequentially: the panel is identical on
//! every platform and for any number of threads.

use std::borrow::Cow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Frame};
use crate::error::{Error, ParamsError};

/// The bundled list: `code,name,region,municipality_group,programme_2016_2019`.
const MUNICIPALITIES_CSV: &str = include_str!("municipalities.csv");

/// The five municipality groups, in the order used for the categorical column and the
/// [`TrueEffect`] table (capital area, big city, provincial town, commuter belt, rural).
pub const MUNICIPALITY_GROUPS: [&str; 5] =
    ["Hovedstadskommuner", "Storbykommuner", "Provinsbykommuner", "Oplandskommuner", "Landkommuner"];

/// Municipality code of Lejre, the early partnership adopter with a large effect.
pub const LEJRE_CODE: i64 = 350;

/// `municipality_group` key of Lejre's own partnership effect in [`SimulatedPanel::true_effects`].
pub const LEJRE_KEY: &str = "Lejre";

/// `municipality_group` key of the (group-independent) sprogpraktik effect in
/// [`SimulatedPanel::true_effects`].
pub const SPROGPRAKTIK_KEY: &str = "all";

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

/// IGU effect by event time 0, 1, 2+ (before the group multiplier).
const IGU_PATH: [f64; 3] = [0.01, 0.02, 0.03];
/// Partnership effect by event time 0, 1, 2, 3+ (before the group multiplier).
const PARTNERSHIP_PATH: [f64; 4] = [0.02, 0.04, 0.05, 0.06];
/// Lejre's partnership effect by event time 0, 1+.
const LEJRE_PATH: [f64; 2] = [0.03, 0.10];
/// Effect of one unit of sprogpraktik share.
const SPROGPRAKTIK_SLOPE: f64 = 0.10;
/// Group multipliers, in [`MUNICIPALITY_GROUPS`] order.
const IGU_GROUP: [f64; 5] = [0.8, 0.9, 1.0, 1.15, 1.3];
const PARTNERSHIP_GROUP: [f64; 5] = [0.85, 0.9, 1.0, 1.1, 1.2];
/// Municipality level by group (deviation from the year path).
const ALPHA_GROUP: [f64; 5] = [-0.01, -0.02, -0.01, 0.015, 0.01];
/// Initial stock (per thousand inhabitants, relative to arrivals) and arrival intensity by group.
const INITIAL_STOCK_GROUP: [f64; 5] = [2.0, 2.0, 1.2, 0.8, 0.8];
const ARRIVAL_GROUP: [f64; 5] = [0.6, 0.8, 1.0, 1.1, 1.1];
/// IGU adoption propensity by group.
const IGU_PROPENSITY: [f64; 5] = [-0.4, 0.0, 0.2, 0.4, 0.5];

/// Adoption years of IGU and the share of adopters starting in each.
const IGU_YEARS: [(i64, f64); 4] = [(2016, 0.35), (2017, 0.30), (2018, 0.20), (2019, 0.15)];
/// Shares that never adopt.
const IGU_NEVER: f64 = 0.20;
const PARTNERSHIP_NEVER: f64 = 0.30;
/// Partnership agreements are signed in `PARTNERSHIP_FIRST..=PARTNERSHIP_LAST`.
const PARTNERSHIP_FIRST: i64 = 2013;
const PARTNERSHIP_LAST: i64 = 2022;
const LEJRE_PARTNERSHIP_YEAR: i64 = 2015;
const PROGRAMME_YEAR: i64 = 2016;

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
/// | `partnership` | Float | 1 from `partnership_year` on |
/// | `programme_year` | Int | 2016 for the 17 programme municipalities (real), else 0 |
/// | `programme` | Float | 1 from 2016 on in the programme municipalities (true effect 0) |
/// | `sprogpraktik_share` | Float | share of refugees in language internships (0-0.3) |
/// | `true_effect` | Float | sum of the true effects in the row |
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
}

/// One bundled municipality.
pub(crate) struct Municipality {
    pub(crate) code: i64,
    name: String,
    region: String,
    group: usize,
    programme: bool,
}

fn bundled_error(reason: String) -> Error {
    Error::Data(DataError::Empty { reason: format!("bundled municipalities.csv is malformed: {reason}") })
}

/// Parse the bundled CSV (no quoting; names contain Danish letters), sorted by code.
pub(crate) fn bundled_municipalities() -> Result<Vec<Municipality>, Error> {
    let mut out = Vec::with_capacity(98);
    for (i, line) in MUNICIPALITIES_CSV.lines().enumerate().skip(1) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 5 {
            return Err(bundled_error(format!("line {} has {} fields", i + 1, fields.len())));
        }
        let code = fields[0].trim().parse::<i64>().map_err(|e| bundled_error(format!("line {}: {e}", i + 1)))?;
        let group = MUNICIPALITY_GROUPS
            .iter()
            .position(|g| *g == fields[3].trim())
            .ok_or_else(|| bundled_error(format!("line {}: unknown group `{}`", i + 1, fields[3])))?;
        out.push(Municipality {
            code,
            name: fields[1].trim().to_string(),
            region: fields[2].trim().to_string(),
            group,
            programme: fields[4].trim() == "1",
        });
    }
    out.sort_by_key(|m| m.code);
    Ok(out)
}

/// Approximate population in thousands (around 2016), used only to size the simulated counts.
pub(crate) fn population_thousands(code: i64) -> f64 {
    match code {
        101 => 600.0,
        147 => 104.0,
        151 => 48.0,
        153 => 35.0,
        155 => 14.0,
        157 => 75.0,
        159 => 68.0,
        161 => 23.0,
        163 => 28.0,
        165 => 28.0,
        167 => 53.0,
        169 => 50.0,
        173 => 55.0,
        175 => 40.0,
        183 => 22.0,
        185 => 43.0,
        187 => 16.0,
        190 => 40.0,
        201 => 25.0,
        210 => 40.0,
        217 => 62.0,
        219 => 50.0,
        223 => 25.0,
        230 => 56.0,
        240 => 43.0,
        250 => 45.0,
        253 => 50.0,
        259 => 60.0,
        260 => 31.0,
        265 => 87.0,
        269 => 22.0,
        270 => 41.0,
        306 => 33.0,
        316 => 70.0,
        320 => 36.0,
        326 => 48.0,
        329 => 34.0,
        330 => 79.0,
        336 => 22.0,
        340 => 29.0,
        350 => 27.0,
        360 => 42.0,
        370 => 82.0,
        376 => 61.0,
        390 => 45.0,
        400 => 40.0,
        410 => 38.0,
        420 => 41.0,
        430 => 51.0,
        440 => 24.0,
        450 => 32.0,
        461 => 200.0,
        479 => 58.0,
        480 => 29.0,
        482 => 12.0,
        492 => 6.0,
        510 => 56.0,
        530 => 26.0,
        540 => 75.0,
        550 => 38.0,
        561 => 115.0,
        563 => 3.3,
        573 => 50.0,
        575 => 43.0,
        580 => 59.0,
        607 => 51.0,
        615 => 88.0,
        621 => 92.0,
        630 => 114.0,
        657 => 88.0,
        661 => 58.0,
        665 => 20.0,
        671 => 22.0,
        706 => 42.0,
        707 => 38.0,
        710 => 48.0,
        727 => 22.0,
        730 => 97.0,
        740 => 92.0,
        741 => 3.7,
        746 => 60.0,
        751 => 335.0,
        756 => 41.0,
        760 => 57.0,
        766 => 46.0,
        773 => 21.0,
        779 => 46.0,
        787 => 44.0,
        791 => 96.0,
        810 => 36.0,
        813 => 60.0,
        820 => 37.0,
        825 => 1.8,
        840 => 29.0,
        846 => 42.0,
        849 => 38.0,
        851 => 210.0,
        860 => 65.0,
        _ => 30.0,
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

/// IGU effect (before `effect_scale`) in group `g` at event time `e >= 0`.
fn igu_effect(g: usize, e: i64) -> f64 {
    IGU_PATH[(e.max(0) as usize).min(IGU_PATH.len() - 1)] * IGU_GROUP[g]
}

/// Partnership effect (before `effect_scale`) in group `g` at event time `e >= 0`.
fn partnership_effect(g: usize, e: i64) -> f64 {
    PARTNERSHIP_PATH[(e.max(0) as usize).min(PARTNERSHIP_PATH.len() - 1)] * PARTNERSHIP_GROUP[g]
}

/// Lejre's partnership effect (before `effect_scale`) at event time `e >= 0`.
fn lejre_effect(e: i64) -> f64 {
    LEJRE_PATH[(e.max(0) as usize).min(LEJRE_PATH.len() - 1)]
}

/// Municipality traits drawn once per municipality.
struct Traits {
    arrival_base: f64,
    initial_stock: f64,
    unemployment_multiplier: f64,
    alpha: f64,
    women_offset: f64,
    education_offset: f64,
    syria_tilt: f64,
    eritrea_tilt: f64,
    sprogpraktik_level: f64,
    igu_score: f64,
    partnership_score: f64,
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
    for m in &munis {
        let g = m.group;
        let pop = population_thousands(m.code);
        let size = (0.25 * normal(&mut rng)).exp();
        let arrival_base = 2.5 * pop * ARRIVAL_GROUP[g] * size;
        let initial_stock = 3.0 * pop * INITIAL_STOCK_GROUP[g] * size * (0.2 * normal(&mut rng)).exp();
        let unemployment_multiplier = (0.18 * normal(&mut rng)).exp();
        let alpha = ALPHA_GROUP[g] + params.municipality_sd * normal(&mut rng);
        let women_offset = 0.03 * normal(&mut rng);
        let education_offset = 0.04 * normal(&mut rng);
        let syria_tilt = 0.3 * normal(&mut rng);
        let eritrea_tilt = 0.4 * normal(&mut rng);
        let sprogpraktik_level = rng.random_range(0.0..0.15);
        let igu_score = IGU_PROPENSITY[g] + 2.0 * (unemployment_multiplier - 1.0) + normal(&mut rng);
        let partnership_score = 2.5 * (unemployment_multiplier - 1.0) + normal(&mut rng);
        traits.push(Traits {
            arrival_base,
            initial_stock,
            unemployment_multiplier,
            alpha,
            women_offset,
            education_offset,
            syria_tilt,
            eritrea_tilt,
            sprogpraktik_level,
            igu_score,
            partnership_score,
        });
    }

    // Adoption years (Lejre is fixed: partnership 2015, no IGU).
    let mut igu_year = vec![0i64; n_m];
    let mut partnership_year = vec![0i64; n_m];
    let eligible = |f: fn(&Traits) -> f64| -> Vec<(usize, f64)> {
        (0..n_m).filter(|&i| munis[i].code != LEJRE_CODE).map(|i| (i, f(&traits[i]))).collect()
    };
    assign_years(&eligible(|t| t.igu_score), IGU_NEVER, &IGU_YEARS, &mut igu_year);
    let n_part_years = (PARTNERSHIP_LAST - PARTNERSHIP_FIRST + 1) as usize;
    let part_years: Vec<(i64, f64)> =
        (PARTNERSHIP_FIRST..=PARTNERSHIP_LAST).map(|y| (y, 1.0 / n_part_years as f64)).collect();
    assign_years(&eligible(|t| t.partnership_score), PARTNERSHIP_NEVER, &part_years, &mut partnership_year);
    for (i, m) in munis.iter().enumerate() {
        if m.code == LEJRE_CODE {
            igu_year[i] = 0;
            partnership_year[i] = LEJRE_PARTNERSHIP_YEAR;
        }
    }

    // Paths (one stream per municipality), from min(first_year, 2010) so the stock has a history.
    let sim_start = params.first_year.min(PROFILE_FIRST);
    let n_t = (params.last_year - params.first_year + 1) as usize;
    let n = n_m * n_t;
    let mut c_code = Vec::with_capacity(n);
    let mut c_name = Vec::with_capacity(n);
    let mut c_region = Vec::with_capacity(n);
    let mut c_group = Vec::with_capacity(n);
    let mut c_year = Vec::with_capacity(n);
    let mut c_refugees = Vec::with_capacity(n);
    let mut c_employed = Vec::with_capacity(n);
    let mut c_rate = Vec::with_capacity(n);
    let mut c_unemp = Vec::with_capacity(n);
    let mut c_women = Vec::with_capacity(n);
    let mut c_short = Vec::with_capacity(n);
    let mut c_syria = Vec::with_capacity(n);
    let mut c_eritrea = Vec::with_capacity(n);
    let mut c_other = Vec::with_capacity(n);
    let mut c_years = Vec::with_capacity(n);
    let mut c_igu_year = Vec::with_capacity(n);
    let mut c_igu = Vec::with_capacity(n);
    let mut c_part_year = Vec::with_capacity(n);
    let mut c_part = Vec::with_capacity(n);
    let mut c_prog_year = Vec::with_capacity(n);
    let mut c_prog = Vec::with_capacity(n);
    let mut c_sprog = Vec::with_capacity(n);
    let mut c_true = Vec::with_capacity(n);

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
        let mut prev_arrivals = 0u64;
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
            let new_share = (a + prev_arrivals as f64 * (1.0 - OUTFLOW)) / tot;
            stock = new_stock;
            prev_arrivals = arrivals;

            let unemployment = at(&UNEMPLOYMENT, year) * tr.unemployment_multiplier * (0.04 * normal(&mut rng)).exp();
            let sprog = (tr.sprogpraktik_level + 0.15 * new_share.min(1.0) + 0.02 * normal(&mut rng)).clamp(0.0, 0.3);
            shock = params.shock_rho * shock + params.shock_sd * normal(&mut rng);

            // Treatment and effects.
            let igu_on = igu_year[i] > 0 && year >= igu_year[i];
            let part_on = partnership_year[i] > 0 && year >= partnership_year[i];
            let prog_on = m.programme && year >= PROGRAMME_YEAR;
            let mut tau = SPROGPRAKTIK_SLOPE * sprog;
            if igu_on {
                tau += igu_effect(g, year - igu_year[i]);
            }
            if part_on {
                let e = year - partnership_year[i];
                tau += if m.code == LEJRE_CODE { lejre_effect(e) } else { partnership_effect(g, e) };
            }
            let tau = scale * tau;

            let index = at(&YEAR_PATH, year)
                + tr.alpha
                + BETA_UNEMPLOYMENT * (unemployment - CENTRE_UNEMPLOYMENT)
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
            c_code.push(m.code);
            c_name.push(i as i64);
            c_region.push(region_code);
            c_group.push(g as i64);
            c_year.push(year);
            c_refugees.push(stock as f64);
            c_employed.push(employed as f64);
            c_rate.push(employed as f64 / stock as f64);
            c_unemp.push(unemployment);
            c_women.push(women);
            c_short.push(short);
            c_syria.push(syria);
            c_eritrea.push(eritrea);
            c_other.push(other);
            c_years.push(years_mean);
            c_igu_year.push(igu_year[i]);
            c_igu.push(if igu_on { 1.0 } else { 0.0 });
            c_part_year.push(partnership_year[i]);
            c_part.push(if part_on { 1.0 } else { 0.0 });
            c_prog_year.push(if m.programme { PROGRAMME_YEAR } else { 0 });
            c_prog.push(if prog_on { 1.0 } else { 0.0 });
            c_sprog.push(sprog);
            c_true.push(tau);
        }
    }

    let float = |v: Vec<f64>| Column::Float(Cow::Owned(v));
    let int = |v: Vec<i64>| Column::Int(Cow::Owned(v));
    let cat = |codes: Vec<i64>, labels: Vec<String>| Column::Categorical { codes: Cow::Owned(codes), labels };
    let names: Vec<String> = munis.iter().map(|m| m.name.clone()).collect();
    let groups: Vec<String> = MUNICIPALITY_GROUPS.iter().map(|g| g.to_string()).collect();
    let frame = Frame::new()
        .with_column("municipality_code", int(c_code))?
        .with_column("municipality", cat(c_name, names))?
        .with_column("region", cat(c_region, regions))?
        .with_column("municipality_group", cat(c_group, groups))?
        .with_column("year", int(c_year))?
        .with_column("refugees", float(c_refugees))?
        .with_column("employed", float(c_employed))?
        .with_column("employment_rate", float(c_rate))?
        .with_column("unemployment_rate", float(c_unemp))?
        .with_column("share_women", float(c_women))?
        .with_column("share_short_education", float(c_short))?
        .with_column("share_syria", float(c_syria))?
        .with_column("share_eritrea", float(c_eritrea))?
        .with_column("share_other_origin", float(c_other))?
        .with_column("mean_years_in_denmark", float(c_years))?
        .with_column("igu_year", int(c_igu_year))?
        .with_column("igu", float(c_igu))?
        .with_column("partnership_year", int(c_part_year))?
        .with_column("partnership", float(c_part))?
        .with_column("programme_year", int(c_prog_year))?
        .with_column("programme", float(c_prog))?
        .with_column("sprogpraktik_share", float(c_sprog))?
        .with_column("true_effect", float(c_true))?;

    Ok(SimulatedPanel { frame, true_effects: true_effect_table(params), params: params.clone() })
}

/// Every effect the simulator can use, times `effect_scale`, for event times 0 up to the
/// largest one possible in the panel.
fn true_effect_table(params: &MunicipalityPanelParams) -> Vec<TrueEffect> {
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
    let first_igu = IGU_YEARS.iter().map(|y| y.0).min().unwrap_or(2016);
    for (g, name) in MUNICIPALITY_GROUPS.iter().enumerate() {
        for e in 0..=(params.last_year - first_igu) {
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
