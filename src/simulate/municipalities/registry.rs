//! The bundled list of the 98 municipalities (real codes, names, regions, groups, programme
//! membership) and their approximate populations.

use crate::data::DataError;
use crate::error::Error;

use super::MUNICIPALITY_GROUPS;

/// The bundled list: `code,name,region,municipality_group,programme_2016_2019`.
const MUNICIPALITIES_CSV: &str = include_str!("../municipalities.csv");

/// One bundled municipality.
pub(crate) struct Municipality {
    pub(crate) code: i64,
    pub(crate) name: String,
    pub(crate) region: String,
    /// Index into [`MUNICIPALITY_GROUPS`].
    pub(crate) group: usize,
    pub(crate) programme: bool,
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
