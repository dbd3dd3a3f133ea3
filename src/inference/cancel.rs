//! Cancellation of long loops: one mechanism for bootstraps, randomization inference, placebo
//! loops and power simulations.
//!
//! Two sources can stop a run:
//! - the process-wide **interrupt** ([`interrupt`]), which the Python glue raises when
//!   `Python::check_signals` reports Ctrl-C (it polls every 50 ms while the Rust work runs on
//!   the thread pool); Rust callers may raise it from a signal handler or another thread.
//!   It stops every interruptible call of the process and is cleared when the last of them
//!   returns ([`Running`]);
//! - a per-call [`Cancel`] token (the `PowerProgress.cancel()` of `power`), which also sees the
//!   interrupt.
//!
//! Long loops call [`check_interrupt`] (or [`Cancel::check`]) once per block of work, every
//! [`CHECK_EVERY`] cheap iterations or once per refit, never inside an inner numeric kernel:
//! one relaxed atomic load, so the check costs nothing measurable. A cancelled call returns
//! [`InferenceError::Interrupted`] (Python raises `KeyboardInterrupt` instead when the signal
//! was Ctrl-C).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::InferenceError;

/// Cheap iterations between two checks (a block of bootstrap draws has 256).
pub const CHECK_EVERY: usize = 256;

static INTERRUPT: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Ask every running interruptible call to stop.
pub fn interrupt() {
    INTERRUPT.store(true, Ordering::Relaxed);
}

/// Whether an interrupt is pending.
pub fn interrupted() -> bool {
    INTERRUPT.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` when an interrupt is pending.
///
/// # Errors
/// [`InferenceError::Interrupted`].
pub fn check_interrupt() -> Result<(), InferenceError> {
    if interrupted() {
        Err(InferenceError::Interrupted)
    } else {
        Ok(())
    }
}

/// Marks an interruptible call as running; the interrupt is cleared when the first call starts
/// and when the last one ends, so a stale Ctrl-C never stops a later call.
#[derive(Debug)]
pub struct Running(());

impl Running {
    /// Enter an interruptible call.
    pub fn enter() -> Self {
        if RUNNING.fetch_add(1, Ordering::SeqCst) == 0 {
            INTERRUPT.store(false, Ordering::SeqCst);
        }
        Running(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            INTERRUPT.store(false, Ordering::SeqCst);
        }
    }
}

/// A cancellation token for one call, shared with whoever may cancel it (clones share the flag).
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
}

impl Cancel {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Cancel the call.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether the call was cancelled or the process interrupted.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || interrupted()
    }

    /// `Err(Interrupted)` when cancelled.
    ///
    /// # Errors
    /// [`InferenceError::Interrupted`].
    pub fn check(&self) -> Result<(), InferenceError> {
        if self.is_cancelled() {
            Err(InferenceError::Interrupted)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The process-wide interrupt is tested in its own process (`tests/cancel.rs`): raising it
    // here would stop the other unit tests running in parallel.
    #[test]
    fn a_token_cancels_its_clones() {
        let t = Cancel::new();
        assert!(t.check().is_ok());
        t.clone().cancel();
        assert_eq!(t.check(), Err(InferenceError::Interrupted));
    }
}
