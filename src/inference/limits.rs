//! Upper bounds on the options that size an allocation or a thread pool, checked before
//! anything is allocated, so that `bootstrap=10**8` raises a specific error instead of
//! aborting the process with "memory allocation failed".
//!
//! # Memory
//! A call estimates the memory its option would need (the big buffers: draws, statistics,
//! simulated ranks) and compares it with the limit: [`DEFAULT_MEMORY_LIMIT`] (8 GiB), or the
//! environment variable `VIRKNING_MEMORY_LIMIT` (bytes, or with a suffix `K`, `M`, `G`, `T`:
//! `VIRKNING_MEMORY_LIMIT=32G`), read at every check. Above the limit the call fails with
//! [`ParamsError::InvalidParam`] naming the option, what it would need and how to raise the cap.
//!
//! # Threads
//! `threads` options accept 1 to [`MAX_THREADS`]; a pool never gets more threads than the
//! machine runs at once ([`pool_threads`]): more only add switching (2000 threads took 23 s
//! where 2 took 0.4 s), and results do not depend on the count.

use crate::error::ParamsError;

/// The memory limit without `VIRKNING_MEMORY_LIMIT`: 8 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 8 << 30;

/// The environment variable that sets the memory limit.
pub const MEMORY_LIMIT_VAR: &str = "VIRKNING_MEMORY_LIMIT";

/// The largest `threads` accepted.
pub const MAX_THREADS: usize = 1024;

/// The memory limit in bytes: `VIRKNING_MEMORY_LIMIT` when it parses, else the default.
pub fn memory_limit() -> u64 {
    std::env::var(MEMORY_LIMIT_VAR).ok().and_then(|v| parse_bytes(&v)).unwrap_or(DEFAULT_MEMORY_LIMIT)
}

/// Bytes from `"123"`, `"512M"`, `"32G"`, `"1.5T"` (powers of 1024; an optional `B`/`iB`).
fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let s = s.strip_suffix("IB").or_else(|| s.strip_suffix('B')).unwrap_or(&s);
    let (num, shift) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 10),
        'M' => (&s[..s.len() - 1], 20),
        'G' => (&s[..s.len() - 1], 30),
        'T' => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v > 0.0).then(|| (v * (1u64 << shift) as f64).min(u64::MAX as f64) as u64)
}

/// A byte count for a message: `12.5 GiB`.
pub fn show_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Check that `what`, sized by option `name = value`, fits in the memory limit: `bytes` is the
/// estimate (a float, so that products of large counts cannot overflow).
///
/// # Errors
/// [`ParamsError::InvalidParam`] naming the need, the limit and how to raise it.
pub fn check_memory(name: &'static str, value: usize, bytes: f64, what: &str) -> Result<(), ParamsError> {
    let limit = memory_limit();
    if bytes <= limit as f64 {
        return Ok(());
    }
    Err(ParamsError::InvalidParam {
        name,
        value: value.to_string(),
        reason: format!(
            "{what} would need about {} of memory, above the limit of {}; lower `{name}`, or raise \
             the limit with the environment variable {MEMORY_LIMIT_VAR} (e.g. {MEMORY_LIMIT_VAR}=64G)",
            show_bytes(bytes),
            show_bytes(limit as f64),
        ),
    })
}

/// Check a `threads` option: 1 to [`MAX_THREADS`].
///
/// # Errors
/// [`ParamsError::InvalidParam`] for 0 or more than [`MAX_THREADS`].
pub fn check_threads(n: usize) -> Result<(), ParamsError> {
    if n == 0 || n > MAX_THREADS {
        return Err(ParamsError::InvalidParam {
            name: "threads",
            value: n.to_string(),
            reason: format!(
                "must be between 1 and {MAX_THREADS} (the machine runs {} at once; results do not \
                 depend on the number of threads)",
                available()
            ),
        });
    }
    Ok(())
}

/// Threads a pool asked for `n` gets: at most what the machine runs at once.
pub fn pool_threads(n: usize) -> usize {
    n.clamp(1, available())
}

fn available() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_parse_and_show() {
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("32G"), Some(32 << 30));
        assert_eq!(parse_bytes("512mib"), Some(512 << 20));
        assert_eq!(parse_bytes("1.5T"), Some(3 << 39));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(show_bytes(1536.0), "1.5 KiB");
        assert_eq!(show_bytes(8.0 * (1u64 << 30) as f64), "8.0 GiB");
    }

    #[test]
    fn memory_and_threads_are_bounded_up_front() {
        assert!(check_memory("reps", 10, 80.0, "the draws").is_ok());
        let e = check_memory("reps", 1 << 40, 8.0 * (1u64 << 40) as f64, "the draws").unwrap_err().to_string();
        assert!(e.contains("8.0 TiB") && e.contains(MEMORY_LIMIT_VAR) && e.contains("`reps`"), "{e}");
        assert!(check_threads(1).is_ok() && check_threads(MAX_THREADS).is_ok());
        assert!(check_threads(0).is_err() && check_threads(MAX_THREADS + 1).is_err());
        assert!(check_threads(1_000_000).unwrap_err().to_string().contains("1024"));
        assert!(pool_threads(2000) <= available() && pool_threads(1) == 1);
    }
}
