"""The surface every result shares: tidy/glance/summary/_repr_html_/to_json/plot.

The contract (docs/CONTRACT.md): the Rust result yields its estimates as typed columns
(``tidy_columns(alpha)``), its standard glance (``glance_json()``), its warnings and its fields
(``fields_json()``, with NaN/inf kept as floats); this class turns them into frames and text.
Subclasses give ``_title()``, ``_footer()`` and, when their display table is not the standard
one, ``_table()``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from virkning import _core
from virkning import exceptions as exc
from virkning._checks import public_methods
from virkning._data import new_frame
from virkning.report.html import html_table, text_table

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
GLANCE_KEYS = ["n_obs", "n_units", "n_clusters", "estimator", "vcov"]
_HEADERS = ["term", "estimate", "std.error", "t", "p", "low", "high"]


class Result:
    """Base class. Subclasses set ``_inner`` (the Rust object) and ``_backend`` (pandas/polars)."""

    _inner: Any
    _backend: Any
    _dict: dict

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        public_methods(cls)  # unknown keywords, NaN options: VirkningError (virkning._checks)

    @classmethod
    def _from_inner(cls, inner: Any, backend: Any = None) -> Result:
        self = cls.__new__(cls)
        self._inner = inner
        self._backend = backend
        # The warnings alone are parsed at once; the whole result only when a field is read
        # (a large result's JSON costs more than a fast fit).
        if hasattr(inner, "warnings_json"):
            self._emit_warnings(json.loads(inner.warnings_json()))
        else:
            self._emit_warnings(self._fields().get("warnings", []))
        return self

    def _fields(self) -> dict:
        """The Rust result as a dict (NaN/inf as floats), parsed on first use (``{}`` without one)."""
        d = self.__dict__.get("_dict")
        if d is None:
            inner = self.__dict__.get("_inner")
            if inner is None:
                return {}
            text = inner.fields_json() if hasattr(inner, "fields_json") else inner.to_json()
            d = self.__dict__["_dict"] = json.loads(text)
        return d

    def __getattr__(self, name: str) -> Any:
        # Fields of the Rust result (``n_obs``, ``loglik``, ...) read as attributes; ``_dict``
        # is the whole result, parsed on first use.
        if name == "_dict" and "_inner" in self.__dict__:
            return self._fields()
        if not name.startswith("_"):
            d = self._fields()
            if name in d:
                return d[name]
        raise AttributeError(name)

    @staticmethod
    def _emit_warnings(found: list[dict]) -> None:
        for w in found:
            # The class comes from the one Rust mapping of diagnostic codes (src/python/errors.rs).
            warnings.warn(w["message"], _core.warning_class(w["code"]), stacklevel=4)

    # -- tables -----------------------------------------------------------------------------
    def _columns(self, alpha: float | None = None) -> dict[str, Any]:
        """The tidy table as columns from Rust: numpy arrays, and lists for text."""
        if alpha is not None and (not isinstance(alpha, (int, float)) or isinstance(alpha, bool)):
            raise exc.InvalidParameterError(f"alpha must be a number in (0, 1), got {alpha!r}")
        return dict(self._inner.tidy_columns(None if alpha is None else float(alpha)))

    def _rows(self, alpha: float | None = None) -> list[dict]:
        """The tidy table as one dict per row (plain Python numbers)."""
        cols = self._columns(alpha)
        lists = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in cols.items()}
        n = len(lists["term"])
        return [{k: v[i] for k, v in lists.items()} for i in range(n)]

    def _frame(self, data: dict[str, Any]) -> Any:
        return new_frame(data, self._backend)

    def tidy(self, alpha: float | None = None) -> Any:
        """Estimates as a frame: ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high`` then the estimator's own columns (NaN where a quantity does not exist).
        ``alpha`` (default: the fitted one) recomputes the intervals at level ``1 - alpha``
        with the estimator's reference distribution."""
        return self._frame(self._columns(alpha))

    def glance(self) -> Any:
        """One row of model-level statistics: ``n_obs, n_units, n_clusters, estimator, vcov``
        (NaN / None where not defined), then the estimator's own."""
        return self._frame({k: [v] for k, v in self._glance_dict().items()})

    def _glance_dict(self) -> dict:
        std = json.loads(self._inner.glance_json()) if hasattr(self._inner, "glance_json") else {}
        out = {k: std.get(k) for k in GLANCE_KEYS}
        for k in ("n_units", "n_clusters"):
            if out[k] is None:
                out[k] = float("nan")
        # The estimator's own keys follow; where it names a standard key it knows it better
        # (e.g. the power analysis' ``estimator`` is the simulated one).
        out.update(self._glance())
        return out

    def _glance(self) -> dict:
        return {}

    def coef(self) -> dict[str, float]:
        """Point estimates by term."""
        return {r["term"]: r["estimate"] for r in self._rows()}

    def se(self) -> dict[str, float]:
        """Standard errors by term."""
        return {r["term"]: r["std_error"] for r in self._rows()}

    def pvalue(self) -> dict[str, float]:
        """p-values by term."""
        return {r["term"]: r["p_value"] for r in self._rows()}

    def confint(self, alpha: float | None = None) -> dict[str, tuple[float, float]]:
        """Confidence intervals by term (at ``alpha``, default the fitted one)."""
        return {r["term"]: (r["conf_low"], r["conf_high"]) for r in self._rows(alpha)}

    # -- display ----------------------------------------------------------------------------
    def _title(self) -> str:
        return type(self).__name__

    def _footer(self) -> list[str]:
        return []

    def _table(self, n: int | None = None) -> tuple[list[str], list[list]]:
        """Headers and rows of the display table (the standard columns by default)."""
        rows = self._rows()[:n] if n is not None else self._rows()
        return _HEADERS, [[r[k] for k in TIDY_COLUMNS] for r in rows]

    #: Rows shown by ``_repr_html_`` (all when None).
    _html_rows: int | None = None

    def summary(self, n: int | None = None) -> str:
        """A text summary (returned, not printed); ``n`` limits the rows shown."""
        head, rows = self._table(n)
        return "\n".join([self._title(), text_table(head, rows), *self._footer()])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{self._title()}>"

    def _repr_html_(self) -> str:
        head, rows = self._table(self._html_rows)
        foot = "".join(f"<div>{line}</div>" for line in self._footer())
        return f"<div class='virkning'><b>{self._title()}</b>{html_table(head, rows)}<small>{foot}</small></div>"

    def to_dict(self) -> dict:
        """The serialisable result (through Rust serde)."""
        return json.loads(self._inner.to_json())

    def to_json(self) -> str:
        """The serialisable result as JSON (through Rust serde)."""
        return self._inner.to_json()

    def vcov(self) -> np.ndarray:
        """Variance-covariance matrix of the estimates."""
        return np.asarray(self._inner.vcov())

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Estimates with their intervals; returns the matplotlib Axes."""
        from virkning.plotting.coefplot import coefplot

        alpha = kwargs.pop("alpha", None)
        return coefplot(self._rows(alpha), ax=ax, title=self._title(), **kwargs)

public_methods(Result)
