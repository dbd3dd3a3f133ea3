"""Side-by-side tables of several models (like fixest's ``etable``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

from virkning.exceptions import InvalidParameterError
from virkning.report.html import fmt, html_table, text_table


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


class ETable:
    """Models side by side: estimates with standard errors in parentheses, then fit statistics."""

    def __init__(self, models: Sequence[Any], names: Sequence[str] | None = None, digits: int = 4):
        self.models = _models(models)
        self.names = _names(names, len(self.models))
        if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 15:
            raise InvalidParameterError(f"etable(): digits must be an integer in 0..15, got {digits!r}")
        self.digits = digits

    def rows(self) -> list[list[str]]:
        """Table body as text cells."""
        terms: list[str] = []
        for m in self.models:
            for r in m._rows():
                if r["term"] not in terms:
                    terms.append(r["term"])
        out = []
        for t in terms:
            est, se = [], []
            for m in self.models:
                row = next((r for r in m._rows() if r["term"] == t), None)
                est.append("" if row is None else fmt(row["estimate"], self.digits) + _stars(row["p_value"]))
                se.append("" if row is None else f"({fmt(row['std_error'], self.digits)})")
            out += [[t, *est], ["", *se]]
        fe_names: list[str] = []
        for m in self.models:
            for f in m._dict.get("fixed_effects") or []:
                if f["name"] not in fe_names:
                    fe_names.append(f["name"])
        for f in fe_names:
            out.append([f"FE: {f}"] + [
                "x" if any(g["name"] == f for g in m._dict.get("fixed_effects") or []) else ""
                for m in self.models
            ])
        out.append(["Observations"] + [_stat(m, "n_obs", lambda v: str(int(v)), "") for m in self.models])
        out.append(["R2"] + [_stat(m, "r2", lambda v: fmt(v, self.digits), "") for m in self.models])
        out.append(["Std. errors"] + [_stat(m, "vcov_type", str, "") for m in self.models])
        return out

    def __str__(self) -> str:
        return text_table(["", *self.names], self.rows()) + "\nSignif.: *** 0.001 ** 0.01 * 0.05 . 0.1"

    def _repr_html_(self) -> str:
        return html_table(["", *self.names], self.rows())

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["", *self.names])


def etable(models: Any, names: Sequence[str] | None = None, digits: int = 4) -> ETable:
    """Models side by side (``print()`` it, or display it in Jupyter).

    ``models`` is a list of fitted results (or one result) with a table of terms (``feols``, ``glm``, ``mixedlm``, the
    event studies, ...); statistics a model does not have (R2 of a GLM) are left blank.

    Raises
    ------
    InvalidParameterError: something that is not a result, no models, or a number of ``names``
    different from the number of models.
    """
    return ETable(models, names, digits)


def _models(models: Any) -> list[Any]:
    """Results with a term table (any virkning result with ``tidy()``); one result alone is a list of one."""
    from virkning.results._base import Result  # noqa: PLC0415

    if isinstance(models, Result):
        models = [models]
    if isinstance(models, (str, bytes)) or not hasattr(models, "__iter__"):
        raise InvalidParameterError(f"etable(): models must be a list of fitted results, got {type(models).__name__}")
    out = list(models)
    if not out:
        raise InvalidParameterError("etable(): no models given")
    for i, m in enumerate(out):
        if not isinstance(m, Result):
            raise InvalidParameterError(
                f"etable(): model {i + 1} is a {type(m).__name__}, not a virkning result (feols, glm, mixedlm, ...)"
            )
        try:
            rows = m._rows()
        except NotImplementedError:
            rows = None
        if not isinstance(rows, list) or not all(isinstance(r, dict) and "term" in r for r in rows):
            raise InvalidParameterError(f"etable(): model {i + 1} ({type(m).__name__}) has no table of terms")
    return out


def _names(names: Any, n: int) -> list[str]:
    if names is None:
        return [f"({i + 1})" for i in range(n)]
    if isinstance(names, str):
        names = [names]
    try:
        out = list(names)
    except TypeError:
        out = None
    if out is None or not all(isinstance(x, str) for x in out):
        raise InvalidParameterError(f"etable(): names must be a list of strings, got {names!r:.60}")
    if len(out) != n:
        raise InvalidParameterError(f"etable(): {len(out)} names for {n} models; give one name per model")
    return out


def _stat(model: Any, key: str, show: Any, missing: str) -> str:
    """A fit statistic of ``model`` as text; ``missing`` where the model has none."""
    value = model._dict.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value) and key != "r2"):
        return missing
    return show(value)
