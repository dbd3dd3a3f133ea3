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


#: The fewest draws any resampling option takes (Rust's ``inference::MIN_DRAWS``).
MIN_DRAWS = 2


def _check_count(name: str, value: object, minimum: int) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
        kind = "positive" if minimum > 0 else "non-negative"
        raise InvalidParameterError(f"{name} must be a {kind} integer or None, got {value!r}")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Resampling options, the one shape every estimator that resamples takes (``bootstrap=``).

    ``bootstrap=999`` is short for ``bootstrap=Bootstrap(reps=999)``. Fields left as ``None``
    take the estimator's default (e.g. 9,999 Rademacher draws for the wild cluster bootstrap,
    Mammen weights and 999 draws for ``att_gt``'s multiplier bootstrap, 200 replications for
    ``sdid``, 2,000 posterior draws for ``benchmark``).

    Parameters
    ----------
    reps : number of draws (replications).
    weights : distribution of the bootstrap weights: ``"rademacher"``, ``"mammen"``,
        ``"webb"`` or ``"normal"`` (which apply depends on the estimator; an unknown name is an
        ``UnknownChoiceError`` naming the valid ones). Never the observation weights: those are
        the estimator's ``weights=`` column.
    seed : seed of the draws (results do not depend on the number of threads).
    impose_null : wild cluster bootstrap only: restricted (WCR, default) or unrestricted (WCU).
    bootstrap_type : wild cluster bootstrap only: ``"11"`` (default) or ``"31"``.

    Examples
    --------
    >>> import virkning as vk
    >>> vk.Bootstrap(reps=999, weights="webb", seed=1).reps
    999
    """

    reps: int | None = None
    weights: str | None = None
    seed: int | None = None
    impose_null: bool | None = None
    bootstrap_type: str | None = None

    def __post_init__(self) -> None:
        _check_count("reps", self.reps, 0)
        if self.reps is not None and self.reps < MIN_DRAWS:
            # The same rule and words as Rust's inference::check_draws.
            raise InvalidParameterError(
                f"`reps` must be at least {MIN_DRAWS} draws (the rule for every resampling option: one draw has "
                f"no spread, so standard errors and intervals would be NaN); leave it unset (None) for no "
                f"resampling, got {self.reps!r}")
        _check_count("seed", self.seed, 0)
        for name, kind in (("weights", str), ("bootstrap_type", str), ("impose_null", bool)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise InvalidParameterError(f"Bootstrap {name} must be a {kind.__name__} or None, got {value!r}")

    def to_dict(self) -> dict:
        """The fields that are set (``None`` left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def as_bootstrap(value: object, *, wild: bool = False) -> Bootstrap | None:
    """``bootstrap=`` as given (``None``, a number of draws, or a :class:`Bootstrap`) as a
    ``Bootstrap`` (``None`` for no resampling). ``wild=False`` rejects the wild-bootstrap-only
    fields."""
    if value is None:
        return None
    if isinstance(value, Bootstrap):
        boot = value
    elif isinstance(value, int) and not isinstance(value, bool):
        boot = Bootstrap(reps=value)
    else:
        raise InvalidParameterError(
            f"bootstrap must be a number of draws (int), a virkning.Bootstrap(...) or None, got {value!r}")
    if not wild and (boot.impose_null is not None or boot.bootstrap_type is not None):
        raise InvalidParameterError("Bootstrap impose_null and bootstrap_type apply to the wild cluster bootstrap only")
    return boot
