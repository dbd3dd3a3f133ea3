//! The one rule for every option that counts resampling draws: `att_gt(bootstrap=)`,
//! `aggregate(bootstrap=)`, the event studies' and `feols`' wild bootstrap `reps`, `ritest`
//! `reps`, `sdid` placebo/bootstrap `reps`, `benchmark` `n_sim` and `power` `reps`.
//!
//! **Rule.** A number of draws is at least [`MIN_DRAWS`] = 2. One draw (or none) has no spread:
//! a bootstrap standard error, a quantile interval or a Monte Carlo standard error from it is
//! `NaN` or zero, not a number to report. Resampling is switched off by leaving the option
//! unset (`None`), never by 0. Fewer than a few hundred draws is allowed (quick runs, tests) but
//! noisy; the defaults are 999-9,999.
//!
//! Upper bounds (the memory a number of draws would need) are checked separately, where the
//! draws are allocated.

use crate::ParamsError;

/// Fewest draws any resampling option accepts.
pub const MIN_DRAWS: usize = 2;

/// `Ok` when `draws` (the value of option `name`) follows the rule above.
///
/// # Errors
/// [`ParamsError::InvalidParam`] naming the option and stating the rule.
pub fn check_draws(name: &'static str, draws: usize) -> Result<(), ParamsError> {
    if draws < MIN_DRAWS {
        return Err(ParamsError::InvalidParam {
            name,
            value: draws.to_string(),
            reason: format!(
                "`{name}` must be at least {MIN_DRAWS} draws (the rule for every resampling option: one draw has no spread, so standard errors and intervals would be NaN); leave it unset (None) for no resampling"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_than_two_draws_is_an_error_that_states_the_rule() {
        for n in [0, 1] {
            let e = check_draws("reps", n).unwrap_err().to_string();
            assert!(e.contains("`reps` must be at least 2 draws"), "{e}");
        }
        assert!(check_draws("reps", 2).is_ok());
    }
}
