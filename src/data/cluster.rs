//! The one check every estimator applies to its error-clustering variable (`cluster=`, or the
//! unit by default): a cluster-robust variance $\sum_g s_g s_g'$ needs at least two clusters.
//! With one cluster the scores sum to zero within it, so the "variance" is rounding noise
//! (a standard error of ~1e-14 and p = 0, not a number to report).
//!
//! Used by `feols`/`glm` (the model frame), the wild cluster bootstrap, `att_gt`,
//! `sun_abraham`, the TWFE event study (through `feols`) and `did_imputation`. The count is
//! taken over the estimation sample, after rows are dropped.

use super::DataError;

/// Fewest clusters a cluster-robust variance accepts.
pub const MIN_CLUSTERS: usize = 2;

/// `Ok` when the cluster variable `name` has at least [`MIN_CLUSTERS`] levels in the
/// estimation sample.
///
/// # Errors
/// [`DataError::SingleCluster`] for fewer.
pub fn require_clusters(name: &str, n_clusters: usize) -> Result<(), DataError> {
    if n_clusters < MIN_CLUSTERS {
        return Err(DataError::SingleCluster { name: name.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cluster_is_an_error_two_are_fine() {
        assert!(matches!(require_clusters("g", 1), Err(DataError::SingleCluster { ref name }) if name == "g"));
        assert!(require_clusters("g", 0).is_err());
        assert!(require_clusters("g", 2).is_ok());
    }
}
