//! Reference distributions for tests and intervals.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The distribution a t-statistic is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefDist {
    /// Standard normal.
    Normal,
    /// Student t with these degrees of freedom.
    StudentT(f64),
}

impl RefDist {
    /// Two-sided p-value of a statistic.
    pub fn two_sided_p(&self, stat: f64) -> f64 {
        if !stat.is_finite() {
            return f64::NAN;
        }
        2.0 * self.upper_tail(stat.abs())
    }

    fn upper_tail(&self, x: f64) -> f64 {
        match self {
            RefDist::StudentT(df) if *df > 0.0 => StudentsT::new(0.0, 1.0, *df).map_or(f64::NAN, |d| d.sf(x)),
            RefDist::StudentT(_) => f64::NAN,
            RefDist::Normal => Normal::standard().sf(x),
        }
    }

    /// Critical value for a two-sided interval of level 1 - alpha.
    pub fn critical(&self, alpha: f64) -> f64 {
        let p = 1.0 - alpha / 2.0;
        match self {
            RefDist::StudentT(df) if *df > 0.0 => StudentsT::new(0.0, 1.0, *df).map_or(f64::NAN, |d| d.inverse_cdf(p)),
            RefDist::StudentT(_) => f64::NAN,
            RefDist::Normal => Normal::standard().inverse_cdf(p),
        }
    }
}

/// Relative tolerance of a tie between a resampled statistic and the sample one.
///
/// Resampled statistics that reproduce the sample (the identity draw of a wild bootstrap and
/// its mirror, the identity permutation of a randomization test, symmetric clusters under full
/// enumeration) equal it only up to rounding (about 1e-13 relative, more where the scores
/// cancel); genuinely different statistics closer than 1e-9 relative are rarer than one in a
/// billion draws. So ties are decided with this tolerance, and count. It also moves the ends
/// of a test-inversion interval by at most about 1e-9 relative (where a draw's $|t^*|$ crosses
/// $|t|$), far inside any reported precision.
pub const TIE: f64 = 1e-9;

/// Whether a resampled statistic is at least as extreme as the sample one: the two-sided rule
/// $|t^*| \ge |t|\,(1 - 10^{-9})$, ties counting as exceeding (p-values include the draws
/// that reproduce the sample). `fwildclusterboot` (`mean(abs(t_stat) < abs(t_boot))`) and
/// `wildboottest` (`np.mean(np.abs(t_stat) < abs(t_boot))`) count strict exceedances with no
/// tolerance, so under full enumeration their identity and mirror draws count or not by
/// rounding; a NaN statistic never exceeds.
pub fn at_least_as_extreme(t: f64, t_star: f64) -> bool {
    t_star.abs() >= t.abs() * (1.0 - TIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        assert!((RefDist::Normal.critical(0.05) - 1.959963984540054).abs() < 1e-9);
        assert!((RefDist::StudentT(10.0).critical(0.05) - 2.228138851986274).abs() < 1e-8);
        assert!((RefDist::Normal.two_sided_p(1.959963984540054) - 0.05).abs() < 1e-9);
    }
}
