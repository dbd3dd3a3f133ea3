//! The exception hierarchy, and the one conversion from `virkning::Error` to a Python exception.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyUserWarning};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::data::DataError as D;
use crate::results::DiagnosticCode;
use crate::Error;

create_exception!(virkning.exceptions, VirkningError, PyException, "Root of every virkning error.");
create_exception!(virkning.exceptions, DataError, VirkningError, "The input data cannot be used as given.");
create_exception!(virkning.exceptions, ColumnNotFoundError, DataError, "A column the call needs is not in the data.");
create_exception!(
    virkning.exceptions,
    NonNumericError,
    DataError,
    "A column used as a number holds text or categories."
);
create_exception!(virkning.exceptions, NonFiniteError, DataError, "A column holds infinite values.");
create_exception!(
    virkning.exceptions,
    DuplicateRowsError,
    DataError,
    "Duplicated (unit, time) rows where a panel is declared."
);
create_exception!(virkning.exceptions, EmptyDataError, DataError, "No observations are left to estimate on.");
create_exception!(virkning.exceptions, InvalidWeightsError, DataError, "Weights that are negative or invalid.");
create_exception!(virkning.exceptions, SingleClusterError, DataError, "A cluster variable with a single cluster.");
create_exception!(
    virkning.exceptions,
    InvalidParameterError,
    VirkningError,
    "An option outside its valid range or set."
);
create_exception!(
    virkning.exceptions,
    UnknownChoiceError,
    InvalidParameterError,
    "An option string that is not one of the valid names."
);
create_exception!(virkning.exceptions, FormulaError, InvalidParameterError, "A formula that does not parse.");
create_exception!(
    virkning.exceptions,
    IdentificationError,
    VirkningError,
    "The model is not identified (e.g. every regressor collinear)."
);
create_exception!(virkning.exceptions, ConvergenceError, VirkningError, "An iterative method did not converge.");
create_exception!(virkning.exceptions, LinAlgError, VirkningError, "A numerical linear-algebra failure.");
create_exception!(virkning.exceptions, InferenceError, VirkningError, "The variance or test cannot be computed.");
create_exception!(virkning.exceptions, InternalError, VirkningError, "A bug in virkning: please report it.");
create_exception!(
    virkning.exceptions,
    SynthError,
    VirkningError,
    "Synthetic control / synthetic DiD cannot be estimated as asked."
);
create_exception!(
    virkning.exceptions,
    DesignError,
    InvalidParameterError,
    "A simulation design that cannot be run (treated counts, adoption periods)."
);
create_exception!(
    virkning.exceptions,
    SimulationError,
    VirkningError,
    "A power run that produced no numbers (every replicate failed, or cancelled)."
);
create_exception!(virkning.exceptions, InvalidTimeError, DataError, "Negative durations or times.");
create_exception!(virkning.exceptions, StopBeforeStartError, DataError, "A (start, stop] interval with stop <= start.");
create_exception!(
    virkning.exceptions,
    EventCodeError,
    DataError,
    "An event value that is not 0/1 or not a declared cause code."
);
create_exception!(
    virkning.exceptions,
    OverlappingSpellsError,
    DataError,
    "Two intervals of one person that overlap in time."
);
create_exception!(virkning.exceptions, NoEventsError, DataError, "No events in the data: nothing to estimate.");
create_exception!(virkning.exceptions, VirkningWarning, PyUserWarning, "Root of every virkning warning.");
create_exception!(virkning.exceptions, ConvergenceWarning, VirkningWarning, "Slow or failed convergence.");
create_exception!(virkning.exceptions, CollinearityWarning, VirkningWarning, "Regressors dropped for collinearity.");
create_exception!(
    virkning.exceptions,
    SmallClusterWarning,
    VirkningWarning,
    "Few clusters or treated clusters for reliable inference."
);
create_exception!(
    virkning.exceptions,
    OverlapWarning,
    VirkningWarning,
    "Weak overlap (propensity scores near 0 or 1)."
);
create_exception!(
    virkning.exceptions,
    SeparationWarning,
    VirkningWarning,
    "A coefficient running to infinity (monotone likelihood)."
);

create_exception!(
    virkning.exceptions,
    InferenceWarning,
    VirkningWarning,
    "A variance, test or interval computed with a fallback (clipped eigenvalues, pointwise band)."
);
create_exception!(
    virkning.exceptions,
    IdentificationWarning,
    VirkningWarning,
    "Effects left out or not estimable, or a control group other than the one asked for."
);
create_exception!(
    virkning.exceptions,
    BoundaryWarning,
    VirkningWarning,
    "A variance component estimated at (or near) zero."
);
create_exception!(
    virkning.exceptions,
    DataWarning,
    VirkningWarning,
    "Input data used with a caveat (units excluded, constant outcomes, no size column)."
);
create_exception!(
    virkning.exceptions,
    FitWarning,
    VirkningWarning,
    "A synthetic control whose pre-period fit is poor or exact (placebo inference affected)."
);
create_exception!(
    virkning.exceptions,
    SimulationWarning,
    VirkningWarning,
    "A power simulation whose summary needs care (size distortion, failed replicates, biased estimator)."
);

/// The Python warning class of a diagnostic code: the one mapping from Rust warnings to Python.
fn warning_type(py: Python<'_>, code: DiagnosticCode) -> Bound<'_, PyType> {
    use DiagnosticCode as C;
    match code {
        C::Convergence => py.get_type::<ConvergenceWarning>(),
        C::Collinearity => py.get_type::<CollinearityWarning>(),
        C::SmallClusters => py.get_type::<SmallClusterWarning>(),
        C::Overlap => py.get_type::<OverlapWarning>(),
        C::VcovNotPsd | C::Bootstrap | C::PlaceboDropped => py.get_type::<InferenceWarning>(),
        C::Identification | C::NotImputable | C::ControlGroup | C::Decomposition => {
            py.get_type::<IdentificationWarning>()
        }
        C::Boundary => py.get_type::<BoundaryWarning>(),
        C::ZeroSize | C::NoSize | C::ConstantDonors => py.get_type::<DataWarning>(),
        C::PoorFit | C::ExactPreFit => py.get_type::<FitWarning>(),
        C::Size | C::NoPValue | C::FailedReplicates | C::TwfeStaggered => py.get_type::<SimulationWarning>(),
        C::UnboundedInterval => py.get_type::<InferenceWarning>(),
        C::Separation => py.get_type::<SeparationWarning>(),
        C::ZeroDuration | C::Weights | C::NoEvents => py.get_type::<DataWarning>(),
    }
}

/// The warning class of a diagnostic code as it appears in a result's JSON (`VirkningWarning`
/// for a code this build does not know).
#[pyfunction]
pub(crate) fn warning_class<'py>(py: Python<'py>, code: &str) -> Bound<'py, PyType> {
    match DiagnosticCode::parse(code) {
        Some(c) => warning_type(py, c),
        None => py.get_type::<VirkningWarning>(),
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        let msg = e.to_string();
        match e {
            Error::Data(d) => match d {
                D::ColumnNotFound { .. } => ColumnNotFoundError::new_err(msg),
                D::NotNumeric { .. } => NonNumericError::new_err(msg),
                D::NonFinite { .. } => NonFiniteError::new_err(msg),
                D::DuplicateKeys { .. } => DuplicateRowsError::new_err(msg),
                D::Empty { .. } => EmptyDataError::new_err(msg),
                D::InvalidWeights { .. } => InvalidWeightsError::new_err(msg),
                D::SingleCluster { .. } => SingleClusterError::new_err(msg),
                _ => DataError::new_err(msg),
            },
            Error::Params(crate::ParamsError::UnknownChoice { .. }) => UnknownChoiceError::new_err(msg),
            Error::Params(_) => InvalidParameterError::new_err(msg),
            Error::Formula(_) => FormulaError::new_err(msg),
            Error::Regression(crate::regression::RegressionError::NotConverged { .. }) => {
                ConvergenceError::new_err(msg)
            }
            Error::Regression(crate::regression::RegressionError::InvalidGlmInput { .. }) => DataError::new_err(msg),
            Error::Regression(_) => IdentificationError::new_err(msg),
            Error::Benchmark(
                crate::benchmarking::BenchmarkError::TooFewUnits { .. }
                | crate::benchmarking::BenchmarkError::CollinearFrameConditions { .. },
            ) => IdentificationError::new_err(msg),
            Error::Benchmark(crate::benchmarking::BenchmarkError::TooManyClusters { .. }) => {
                InvalidParameterError::new_err(msg)
            }
            Error::Benchmark(crate::benchmarking::BenchmarkError::ClusteringFailed { .. }) => {
                ConvergenceError::new_err(msg)
            }
            Error::Benchmark(_) => DataError::new_err(msg),
            Error::Linalg(crate::linalg::LinalgError::NotConverged { .. }) => ConvergenceError::new_err(msg),
            Error::Linalg(_) => LinAlgError::new_err(msg),
            Error::Inference(_) => InferenceError::new_err(msg),
            Error::Did(d) => match d {
                crate::did::DidError::NoNeverTreated { .. }
                | crate::did::DidError::NothingToEstimate { .. }
                | crate::did::DidError::EmptyAggregation { .. }
                | crate::did::DidError::ReferenceNotObserved { .. }
                | crate::did::DidError::NotIdentified { .. } => IdentificationError::new_err(msg),
                _ => DataError::new_err(msg),
            },
            Error::Synth(_) => SynthError::new_err(msg),
            Error::Simulate(s) => {
                use crate::simulate::SimulateError as S;
                match s {
                    S::TooManyTreated { .. }
                    | S::NoTreated
                    | S::NoControls { .. }
                    | S::NoPostPeriods { .. }
                    | S::NoPrePeriods { .. }
                    | S::NeedsOneTreated { .. } => DesignError::new_err(msg),
                    S::Cancelled { .. } | S::AllFailed { .. } | S::CallableFailed { .. } => {
                        SimulationError::new_err(msg)
                    }
                    _ => InvalidParameterError::new_err(msg),
                }
            }
            Error::Survival(s) => {
                use crate::survival::SurvivalError as S;
                match s {
                    S::NegativeTime { .. } => InvalidTimeError::new_err(msg),
                    S::StopNotAfterStart { .. } => StopBeforeStartError::new_err(msg),
                    S::UndeclaredEvent { .. } => EventCodeError::new_err(msg),
                    S::OverlappingSpells { .. } => OverlappingSpellsError::new_err(msg),
                    S::NoEvents { .. } => NoEventsError::new_err(msg),
                    S::NotConverged { .. } => ConvergenceError::new_err(msg),
                    S::AllCollinear { .. } => IdentificationError::new_err(msg),
                    _ => InvalidParameterError::new_err(msg),
                }
            }
        }
    }
}

/// Register every exception class on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    macro_rules! add {
        ($($t:ident),*) => { $( m.add(stringify!($t), py.get_type::<$t>())?; )* };
    }
    add!(
        VirkningError,
        DataError,
        ColumnNotFoundError,
        NonNumericError,
        NonFiniteError,
        DuplicateRowsError,
        EmptyDataError,
        InvalidWeightsError,
        SingleClusterError,
        InvalidParameterError,
        UnknownChoiceError,
        FormulaError,
        IdentificationError,
        ConvergenceError,
        LinAlgError,
        InferenceError,
        InternalError,
        SynthError,
        DesignError,
        SimulationError,
        VirkningWarning,
        ConvergenceWarning,
        CollinearityWarning,
        SmallClusterWarning,
        OverlapWarning,
        InvalidTimeError,
        StopBeforeStartError,
        EventCodeError,
        OverlappingSpellsError,
        NoEventsError,
        SeparationWarning,
        InferenceWarning,
        IdentificationWarning,
        BoundaryWarning,
        DataWarning,
        FitWarning,
        SimulationWarning
    );
    m.add_function(wrap_pyfunction!(warning_class, m)?)?;
    Ok(())
}

/// Run `f`, turning a Rust panic into `InternalError` so that no panic crosses into Python.
pub(crate) fn guard<T>(f: impl FnOnce() -> crate::Result<T> + std::panic::UnwindSafe) -> PyResult<T> {
    match std::panic::catch_unwind(f) {
        Ok(r) => r.map_err(PyErr::from),
        Err(p) => {
            let what = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
            Err(InternalError::new_err(format!("internal error (please report): {}", what.unwrap_or_default())))
        }
    }
}
