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


def as_frame(data: Any) -> nw.DataFrame:
    """Wrap a pandas/polars (or other narwhals-supported) eager DataFrame."""
    try:
        return nw.from_native(data, eager_only=True)
    except TypeError as e:
        raise DataError(
            f"expected a pandas or polars DataFrame, got {type(data).__name__}"
        ) from e


def columns(df: nw.DataFrame, names: Iterable[str]) -> dict[str, Any]:
    """Arrays for the named columns, each once, for ``virkning._core``."""
    out: dict[str, Any] = {}
    available = list(df.columns)
    native = df.to_native()
    for name in names:
        if name in out:
            continue
        if name not in available:
            raise ColumnNotFoundError(
                f"column `{name}` not found; available columns: {', '.join(map(str, available))}"
            )
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
    return None if dtype.kind == "u" else np.ascontiguousarray(s.to_numpy(), dtype=np.float64)


def _column(s: nw.Series) -> Any:
    dtype = s.dtype
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
