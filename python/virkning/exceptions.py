"""Exceptions and warnings raised by virkning.

Every error derives from :class:`VirkningError`, so a pipeline can write
``except virkning.VirkningError``. Statistical trouble that still yields numbers is a
warning deriving from :class:`VirkningWarning`.
"""

from contextlib import suppress

with suppress(ImportError):  # the docs build without the compiled module
    from virkning._core import (
        CollinearityWarning,
        ColumnNotFoundError,
        ConvergenceError,
        ConvergenceWarning,
        DataError,
        DesignError,
        DuplicateRowsError,
        EmptyDataError,
        FormulaError,
        IdentificationError,
        InferenceError,
        InternalError,
        InvalidParameterError,
        InvalidWeightsError,
        LinAlgError,
        NonFiniteError,
        NonNumericError,
        OverlapWarning,
        SimulationError,
        SingleClusterError,
        SmallClusterWarning,
        SynthError,
        UnknownChoiceError,
        VirkningError,
        VirkningWarning,
    )
    from virkning._core import (
        BoundaryWarning,
        DataWarning,
        FitWarning,
        IdentificationWarning,
        InferenceWarning,
        SimulationWarning,
    )

__all__ = [
    "VirkningError",
    "DataError",
    "ColumnNotFoundError",
    "NonNumericError",
    "NonFiniteError",
    "DuplicateRowsError",
    "EmptyDataError",
    "InvalidWeightsError",
    "SingleClusterError",
    "InvalidParameterError",
    "UnknownChoiceError",
    "FormulaError",
    "IdentificationError",
    "ConvergenceError",
    "LinAlgError",
    "InferenceError",
    "InternalError",
    "SynthError",
    "DesignError",
    "SimulationError",
    "VirkningWarning",
    "ConvergenceWarning",
    "CollinearityWarning",
    "SmallClusterWarning",
    "OverlapWarning",
    "InferenceWarning",
    "IdentificationWarning",
    "BoundaryWarning",
    "DataWarning",
    "FitWarning",
    "SimulationWarning",
]
