"""The surface every result shares: tidy/glance/summary/_repr_html_/to_json/plot."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from virkning import _core
from virkning._data import new_frame
from virkning.report.html import html_table, text_table

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


class Result:
    """Base class. Subclasses set ``_inner`` (the Rust object) and ``_backend`` (pandas/polars)."""

    _inner: Any
    _backend: Any
    _dict: dict

    @classmethod
    def _from_inner(cls, inner: Any, backend: Any = None) -> Result:
        self = cls.__new__(cls)
        self._inner = inner
        self._backend = backend
        # A Rust result with ``warnings_json`` is parsed only when a field is read (a large
        # result's JSON costs more than a fast fit); the others at once.
        if hasattr(inner, "warnings_json"):
            self._emit_warnings(json.loads(inner.warnings_json()))
        else:
            self._emit_warnings(self._fields().get("warnings", []))
        return self

    def _fields(self) -> dict:
        """The Rust result as a dict, parsed from its JSON on first use (``{}`` without one)."""
        d = self.__dict__.get("_dict")
        if d is None:
            inner = self.__dict__.get("_inner")
            if inner is None:
                return {}
            d = self.__dict__["_dict"] = json.loads(inner.to_json())
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
    def _rows(self) -> list[dict]:
        raise NotImplementedError

    def _frame(self, data: dict[str, list]) -> Any:
        return new_frame(data, self._backend)

    def tidy(self, alpha: float | None = None) -> Any:
        """Estimates as a frame: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        rows = self._rows()
        cols = list(rows[0].keys()) if rows else TIDY_COLUMNS
        return self._frame({c: [r[c] for r in rows] for c in cols})

    def glance(self) -> Any:
        """One row of model-level statistics."""
        return self._frame({k: [v] for k, v in self._glance().items()})

    def _glance(self) -> dict:
        raise NotImplementedError

    def coef(self) -> dict[str, float]:
        """Point estimates by term."""
        return {r["term"]: r["estimate"] for r in self._rows()}

    def se(self) -> dict[str, float]:
        """Standard errors by term."""
        return {r["term"]: r["std_error"] for r in self._rows()}

    def pvalue(self) -> dict[str, float]:
        """p-values by term."""
        return {r["term"]: r["p_value"] for r in self._rows()}

    def confint(self) -> dict[str, tuple[float, float]]:
        """Confidence intervals by term."""
        return {r["term"]: (r["conf_low"], r["conf_high"]) for r in self._rows()}

    # -- display ----------------------------------------------------------------------------
    def _title(self) -> str:
        return type(self).__name__

    def _footer(self) -> list[str]:
        return []

    def summary(self) -> str:
        """A text summary (returned, not printed)."""
        rows = [[r["term"], r["estimate"], r["std_error"], r["statistic"], r["p_value"],
                 r["conf_low"], r["conf_high"]] for r in self._rows()]
        table = text_table(["term", "estimate", "std.error", "t", "p", "low", "high"], rows)
        return "\n".join([self._title(), table, *self._footer()])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{self._title()}>"

    def _repr_html_(self) -> str:
        rows = [[r["term"], r["estimate"], r["std_error"], r["statistic"], r["p_value"],
                 r["conf_low"], r["conf_high"]] for r in self._rows()]
        table = html_table(["term", "estimate", "std. error", "t", "p", "low", "high"], rows)
        foot = "".join(f"<div>{line}</div>" for line in self._footer())
        return f"<div class='virkning'><b>{self._title()}</b>{table}<small>{foot}</small></div>"

    def to_dict(self) -> dict:
        """The serialisable result (through Rust serde)."""
        return json.loads(self._inner.to_json())

    def to_json(self) -> str:
        """The serialisable result as JSON (through Rust serde)."""
        return self._inner.to_json()

    def vcov(self) -> np.ndarray:
        """Variance-covariance matrix of the estimates."""
        return np.asarray(self._inner.vcov())
