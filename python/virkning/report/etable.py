"""Side-by-side tables of several models (like fixest's ``etable``)."""

from __future__ import annotations

from typing import Any, Sequence

from virkning.report.html import fmt, html_table, text_table


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


class ETable:
    """Models side by side: estimates with standard errors in parentheses, then fit statistics."""

    def __init__(self, models: Sequence[Any], names: Sequence[str] | None = None, digits: int = 4):
        self.models = list(models)
        self.names = list(names) if names else [f"({i + 1})" for i in range(len(self.models))]
        self.digits = digits

    def rows(self) -> list[list[str]]:
        """Table body as text cells."""
        terms: list[str] = []
        for m in self.models:
            for t in m.coef():
                if t not in terms:
                    terms.append(t)
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
            for f in m._dict.get("fixed_effects", []):
                if f["name"] not in fe_names:
                    fe_names.append(f["name"])
        for f in fe_names:
            out.append([f"FE: {f}"] + [
                "x" if any(g["name"] == f for g in m._dict.get("fixed_effects", [])) else ""
                for m in self.models
            ])
        out.append(["Observations"] + [str(m._dict["n_obs"]) for m in self.models])
        out.append(["R2"] + [fmt(m._dict["r2"], self.digits) for m in self.models])
        out.append(["Std. errors"] + [m._dict["vcov_type"] for m in self.models])
        return out

    def __str__(self) -> str:
        return text_table(["", *self.names], self.rows()) + "\nSignif.: *** 0.001 ** 0.01 * 0.05 . 0.1"

    def _repr_html_(self) -> str:
        return html_table(["", *self.names], self.rows())

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["", *self.names])


def etable(models: Sequence[Any], names: Sequence[str] | None = None, digits: int = 4) -> ETable:
    """Models side by side (``print()`` it, or display it in Jupyter)."""
    return ETable(models, names, digits)
