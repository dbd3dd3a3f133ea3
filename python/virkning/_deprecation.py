"""The one helper for keywords renamed by the estimator contract (issue 15): an old keyword
keeps working for one release and warns with a ``DeprecationWarning`` naming the new one."""

from __future__ import annotations

import warnings
from typing import Any, Mapping


def deprecated_keywords(function: str, given: Mapping[str, Any], renamed: Mapping[str, str], *,
                        stacklevel: int = 3) -> dict[str, Any]:
    """The old keywords in ``given`` (a function's ``**deprecated``), each warned about once.

    ``renamed`` maps every accepted old keyword to the replacement shown in the warning (e.g.
    ``{"treated": "treatment="}``). Any other keyword is a ``TypeError`` as Python's own.
    """
    for name in given:
        if name not in renamed:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")
    for name in given:
        warnings.warn(
            f"{function}(): `{name}=` is deprecated and will be removed in the next release; "
            f"use `{renamed[name]}` instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
    return dict(given)


def deprecated_choice(function: str, keyword: str, value: Any, renamed: Mapping[str, str], *,
                      stacklevel: int = 3) -> Any:
    """``value`` of ``keyword``, with an old choice name replaced by its new one (and warned)."""
    if isinstance(value, str) and value in renamed:
        warnings.warn(
            f"{function}(): `{keyword}={value!r}` is deprecated and will be removed in the next release; "
            f"use `{keyword}={renamed[value]!r}` instead",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return renamed[value]
    return value
