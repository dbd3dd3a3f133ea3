"""DataFrame (pandas or polars, through narwhals) to the column arrays the Rust core reads.

No numerics here: columns are handed over as float64/int64 numpy arrays (views where the
frame allows) or, for text and categories, as ``(codes, labels)`` with code -1 for missing.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

import narwhals as nw
import numpy as np

from virkning.exceptions import ColumnNotFoundError, DataError


def as_frame(data: Any) -> nw.DataFrame | nw.LazyFrame:
    """Wrap a pandas/polars (or other narwhals-supported) DataFrame.

    A lazy frame (polars ``LazyFrame``) stays lazy: :func:`columns` collects only the columns
    a call reads. Repeated column names are a :class:`DataError` (which column would be meant?).
    """
    try:
        df = nw.from_native(data)
    except TypeError as e:
        raise DataError(
            f"expected a pandas or polars DataFrame, got {type(data).__name__}"
        ) from e
    except nw.exceptions.DuplicateError as e:
        raise DataError(f"the data has repeated column names: {_repeated(data)}; rename them") from e
    if not isinstance(df, (nw.DataFrame, nw.LazyFrame)):
        raise DataError(f"expected a pandas or polars DataFrame, got {type(data).__name__}")
    names = list(df.columns)
    if len(set(names)) != len(names):
        raise DataError(f"the data has repeated column names: {_repeated(data)}; rename them")
    return df


def _repeated(data: Any) -> str:
    names = [str(c) for c in getattr(data, "columns", [])]
    return ", ".join(f"`{n}` ({names.count(n)} times)" for n in dict.fromkeys(names) if names.count(n) > 1)


def columns(df: nw.DataFrame | nw.LazyFrame, names: Iterable[str]) -> dict[str, Any]:
    """Arrays for the named columns, each once, for ``virkning._core``."""
    out: dict[str, Any] = {}
    names = list(dict.fromkeys(names))
    available = list(df.columns)
    for name in names:
        if name not in available:
            raise ColumnNotFoundError(
                f"column `{name}` not found; available columns: {', '.join(map(str, available))}"
            )
    if isinstance(df, nw.LazyFrame):
        df = df.select(names).collect()
    native = df.to_native()
    for name in names:
        arr = _plain_pandas_column(native, name)
        out[name] = _column(df.get_column(name)) if arr is None else arr
    return out


def _plain_pandas_column(native: Any, name: str) -> np.ndarray | None:
    """A pandas column with a plain numpy numeric dtype as the array ``_column`` would give,
    without the per-column overhead of narwhals; ``None`` for anything else."""
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(native, pd.DataFrame):
        return None
    s = native[name]
    dtype = getattr(s, "dtype", None)  # a repeated column name gives a frame: no dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iufb":
        return None
    if dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8):
        return np.ascontiguousarray(s.to_numpy(), dtype=np.int64)
    if dtype.kind == "u":
        return _uint64(s.to_numpy(), name)
    return np.ascontiguousarray(s.to_numpy(), dtype=np.float64)


def _uint64(values: np.ndarray, name: Any) -> Any:
    """A uint64 column without reinterpreting values at or above 2**63 as negative int64.

    Values below 2**63 cross exactly as int64. Larger ones cross as float64, the value a number
    has in any arithmetic (a regressor), which keeps distinct ids distinct and in order as long
    as float64 tells them apart; when it would merge distinct values (they differ by less than
    its spacing, 2048 near 2**63) it is a :class:`DataError` saying how to convert the column,
    never a silent merge.
    """
    values = np.asarray(values, dtype=np.uint64)
    if values.size == 0 or int(values.max()) <= np.iinfo(np.int64).max:
        return np.ascontiguousarray(values, dtype=np.int64)
    as_float = values.astype(np.float64)
    levels, codes = np.unique(values, return_inverse=True)
    if np.unique(as_float).size == levels.size:
        return np.ascontiguousarray(as_float)
    raise DataError(
        f"uint64 column `{name}` has {levels.size} distinct values above 2**63 that float64 cannot tell apart "
        f"(e.g. {int(levels[-2])} and {int(levels[-1])}): as numbers they would merge, as ids they cannot be "
        "ordered as int64; convert the column: to strings for an id, to float64 for a number"
    )


def _column(s: nw.Series) -> Any:
    dtype = s.dtype
    if dtype == nw.UInt64 and s.null_count() == 0:
        return _uint64(s.to_numpy(), s.name)
    # A numpy integer dtype (pandas) cannot hold missing values: no O(n) null count needed.
    if dtype.is_integer() and (isinstance(getattr(s.to_native(), "dtype", None), np.dtype) or s.null_count() == 0):
        return np.ascontiguousarray(s.to_numpy(), dtype=np.int64)
    if dtype.is_numeric() or dtype == nw.Boolean:
        if dtype != nw.Float64:
            s = s.cast(nw.Float64)
        arr = s.to_numpy()
        if arr.dtype == object:  # nullable extension arrays hold pd.NA / None
            arr = np.array([_to_float(v) for v in arr], dtype=np.float64)
        return np.ascontiguousarray(arr, dtype=np.float64)
    return _codes(s)


def _codes(s: nw.Series) -> tuple[np.ndarray, list[str]]:
    """A text, categorical or other non-numeric column as ``(codes, labels)``: the labels are the
    distinct values as text, sorted; codes index them, -1 for missing (what
    ``np.unique(return_inverse=True)`` gives on the text). Factorised once by the frame library
    (pandas ``factorize`` or categorical codes, polars ``Enum`` codes), then only the distinct
    values are sorted (``np.argsort``): no Python loop over the rows."""
    native = s.to_native()
    pd = sys.modules.get("pandas")
    pl = sys.modules.get("polars")
    if pd is not None and isinstance(native, pd.Series):
        if isinstance(native.dtype, pd.CategoricalDtype):
            cats = native.cat.categories
            labels = cats if pd.api.types.is_string_dtype(cats.dtype) else cats.map(str)
            return _sorted_codes(native.cat.codes.to_numpy(), np.asarray(labels, dtype=object))
        if pd.api.types.is_string_dtype(native.dtype):
            codes, uniques = pd.factorize(native, use_na_sentinel=True)
            return _sorted_codes(codes, np.asarray(uniques, dtype=object))
    if pl is not None and isinstance(native, pl.Series) and (
            native.dtype == pl.String or isinstance(native.dtype, (pl.Categorical, pl.Enum))):
        text = native.cast(pl.String)
        labels = text.drop_nulls().unique().sort()
        # An Enum's physical codes index its categories: here the sorted distinct values.
        codes = text.cast(pl.Enum(labels)).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
        return np.ascontiguousarray(codes, dtype=np.int64), labels.to_list()
    return _codes_by_text(s)


def _sorted_codes(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes into the distinct texts ``labels`` (object array) recoded into their sorted order
    (codes -1 stay -1), the labels sorted."""
    codes = np.asarray(codes, dtype=np.int64)
    order = np.argsort(labels.astype(str), kind="stable")
    rank = np.empty(len(labels) + 1, dtype=np.int64)
    rank[order] = np.arange(len(labels), dtype=np.int64)
    rank[-1] = -1  # code -1 (missing) indexes the last slot
    return rank[codes], labels[order].tolist()


def _codes_by_text(s: nw.Series) -> tuple[np.ndarray, list[str]]:
    """``(codes, labels)`` of any other column through the text of each value (dates, objects)."""
    values = s.to_numpy()
    missing = np.asarray(s.is_null().to_numpy(), dtype=bool) if s.null_count() else None
    present = values if missing is None else values[~missing]
    # Codes by first appearance (one dict pass), then relabelled in sorted label order: the
    # result of np.unique(return_inverse=True) on the text without sorting Python objects.
    first: dict[str, int] = {}
    ids = np.fromiter((first.setdefault(t, len(first)) for t in map(str, present)), dtype=np.int64, count=len(present))
    labels = sorted(first)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[[first[t] for t in labels]] = np.arange(len(labels), dtype=np.int64)
    if missing is None:
        return (rank[ids], labels)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~missing] = rank[ids]
    return (codes, labels)


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def backend_of(df: nw.DataFrame) -> Any:
    """The native namespace (pandas or polars module) of a frame."""
    return nw.get_native_namespace(df)


def new_frame(data: dict[str, Any], backend: Any) -> Any:
    """A native DataFrame of the given backend (pandas when ``backend`` is None)."""
    if backend is None:
        import pandas as backend  # noqa: PLC0415
    return nw.from_dict(data, backend=backend).to_native()
