"""Composite options as frozen dataclasses, validated on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from virkning._typing import ClusterDf, FixefK
from virkning.exceptions import InvalidParameterError


@dataclass(frozen=True, slots=True)
class SmallSampleCorrection:
    """Small-sample correction of variances (fixest's ``ssc()``; these defaults are fixest's).

    Parameters
    ----------
    adj : multiply by (N - 1) / (N - K).
    fixef_k : which fixed effects count in K: ``"nested"`` leaves out those nested in a
        cluster variable, ``"full"`` counts all, ``"none"`` counts none.
    cluster_adj : multiply by G / (G - 1).
    cluster_df : with multi-way clustering, ``"min"`` uses the smallest G for every term,
        ``"conventional"`` each term's own G.
    """

    adj: bool = True
    fixef_k: FixefK = "nested"
    cluster_adj: bool = True
    cluster_df: ClusterDf = "min"

    def __post_init__(self) -> None:
        if self.fixef_k not in ("none", "nested", "full"):
            raise InvalidParameterError(
                f"unknown fixef_k `{self.fixef_k}`; valid values are: none, nested, full"
            )
        if self.cluster_df not in ("min", "conventional"):
            raise InvalidParameterError(
                f"unknown cluster_df `{self.cluster_df}`; valid values are: min, conventional"
            )

    def to_dict(self) -> dict:
        """The serde form the Rust params read."""
        return asdict(self)
