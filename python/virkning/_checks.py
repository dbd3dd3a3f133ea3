"""Argument checks shared by every public function: one place, not one per signature.

:func:`public` wraps a public function so that the mistakes a caller can make before any
data is read raise a specific :class:`~virkning.VirkningError` with a clear message:

- an unknown or missing keyword argument (Python's own ``TypeError``) becomes
  :class:`UnknownArgumentError`, which is both an ``InvalidParameterError`` and a ``TypeError``,
  with the closest valid names suggested;
- a formula that is not a string is a :class:`FormulaError`;
- a column role (``outcome``, ``unit``, ``time``, ``cohort``, ``weights``, ...) that is not a
  column name is an :class:`InvalidParameterError`; a column list (``covariates``, ``predictors``)
  given as one string is that one column (not its characters);
- a NaN or infinite number anywhere in the options (also inside dicts and lists) is an
  :class:`InvalidParameterError` naming the option, instead of a JSON parse message;
- an argument whose type does not match its annotation (a list for a number, a string for a
  whole number, a non-result for ``fit``) is an :class:`InvalidParameterError` saying what it
  must be; which names a choice option accepts stays the core's to say (``UnknownChoiceError``
  with the valid ones), except ``backend``, ``bootstrap_type`` and ``clusters``, checked here.

Applied to the top-level functions in ``virkning/__init__.py`` and to the public methods of
every result class (``Result.__init_subclass__``). Warnings raised inside are re-emitted at the
caller's line, as without the wrapper.
"""

from __future__ import annotations

import collections.abc
import difflib
import functools
import inspect
import math
import numbers
import re
import sys
import types
import typing
import warnings
from typing import Any, Callable, TypeVar

import numpy as np

from virkning.exceptions import FormulaError, InvalidParameterError, UnknownChoiceError

F = TypeVar("F", bound=Callable[..., Any])

#: Options that name one column (or None).
COLUMN_ROLES = frozenset({
    "outcome", "unit", "time", "cohort", "treatment", "treated", "group", "weights", "trials",
    "size", "bootcluster", "duration", "event", "entry", "never",
})
#: Options that name a list of columns; a single string is one column.
COLUMN_LISTS = frozenset({"covariates", "predictors", "controls", "frame_conditions"})
#: DataFrame libraries a result can be returned in.
BACKENDS = ("pandas", "polars")
#: Options that are whole numbers (or None); an integral float such as 1e4 is accepted.
INT_OPTIONS = frozenset({
    "treatment_start", "reps", "n_sim", "top", "cluster_seeds", "max_evals", "anticipation", "pretrends",
    "reference", "min_event_time", "max_event_time", "balance_e", "min_e", "max_e", "sdid_reps", "replicate",
    "max_iter", "threads", "n_units", "digits",
})
#: What the ``fit`` argument of the resampling functions must be.
FIT_KINDS = {"wildboot": "a feols result", "ritest": "a feols result or a staggered estimator's result"}
#: Options checked by name above, not by their annotation.
_BY_NAME = frozenset({"formula", "fit", "backend"})
#: Wild bootstrap variants (WCR/WCU 11 and 31).
BOOTSTRAP_TYPES = ("11", "31")
#: Options that are not numbers the Rust core reads (data, callables, plotting handles).
_SKIP_VALUES = frozenset({"data", "newdata", "models", "estimator", "ax", "truth"})


class UnknownArgumentError(InvalidParameterError, TypeError):
    """A keyword argument the function does not have, or a required one missing."""


def public(fn: F) -> F:
    """Wrap ``fn`` with the argument checks described in the module docstring."""
    if getattr(fn, "_virkning_checked", False):
        return fn
    sig = inspect.signature(fn)
    name = fn.__name__
    hints: list[dict[str, Any]] = []  # resolved on the first call (annotations are strings)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            bound = None  # perhaps a deprecated alias taken by an inner wrapper: let fn decide
        if bound is not None:
            if not hints:
                hints.append(_hints(fn))
            _check(name, bound.arguments, sig, hints[0])
            args, kwargs = bound.args, bound.kwargs
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    return fn(*args, **kwargs)
                except TypeError as e:
                    if _is_binding_error(e, kwargs):
                        raise _binding_error(name, sig, e) from None
                    raise
        finally:
            _reemit(caught)  # also when fn raised: a deprecation said before an error still shows

    wrapper._virkning_checked = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _reemit(caught: list[warnings.WarningMessage]) -> None:
    """Warnings raised inside a wrapped call, shown at the caller's line (as without the wrapper)."""
    if not caught:
        return
    frame = sys._getframe(2)
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    for w in caught:
        warnings.warn_explicit(w.message, w.category, frame.f_code.co_filename, frame.f_lineno,
                               module=frame.f_globals.get("__name__"), registry=registry)


def _is_binding_error(e: TypeError, kwargs: dict[str, Any]) -> bool:
    """Whether ``e`` is Python refusing the call's arguments: raised by the call itself (not
    inside the function), or an unexpected keyword the caller passed on through ``**kwargs``."""
    if e.__traceback__ is not None and e.__traceback__.tb_next is None:
        return True
    m = re.search(r"got an unexpected keyword argument '([^']+)'", str(e))
    return bool(m and m.group(1) in kwargs)


def _binding_error(name: str, sig: inspect.Signature, e: TypeError) -> UnknownArgumentError:
    valid = [p for p in sig.parameters if sig.parameters[p].kind is not inspect.Parameter.VAR_KEYWORD]
    msg = str(e)
    words = [w.strip("'\"") for w in msg.replace(",", " ").split() if w.startswith(("'", '"'))]
    hint = ""
    for w in words:
        close = difflib.get_close_matches(w, valid, n=1)
        if close and close[0] != w:
            hint = f"; did you mean `{close[0]}`?"
            break
    msg = re.sub(r"^[\w.]+\(\) ", "", msg)
    return UnknownArgumentError(f"{name}(): {msg}{hint} (valid arguments: {', '.join(valid)})")


def _check(name: str, arguments: dict[str, Any], sig: inspect.Signature, hints: dict[str, Any]) -> None:
    for key, value in list(arguments.items()):
        param = sig.parameters[key]
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            for k, v in list(value.items()):
                value[k] = _check_one(name, k, v, None)
            continue
        value = arguments[key] = _check_one(name, key, value, _annotation(param))
        if key in hints and key not in _BY_NAME and value is not param.default and not _matches(value, hints[key]):
            raise InvalidParameterError(f"{name}(): `{key}` must be {_describe(hints[key])}, "
                                        f"got {type(value).__name__} {value!r:.60}")


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of ``fn`` ({} when a name in them cannot be resolved)."""
    try:
        return typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - a forward reference only a type checker sees
        return {}


_NONE = type(None)


def _matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the type ``tp`` (a Literal only by the type of its values: which
    names are valid is the core's to say, with the list of valid ones)."""
    origin = typing.get_origin(tp)
    if tp is Any or isinstance(tp, TypeVar):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return any(isinstance(value, type(a)) and not isinstance(value, bool) or value is a
                   for a in typing.get_args(tp))
    if tp is _NONE:
        return value is None
    if tp is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if tp is int:
        return _is_whole(value)
    if tp is bool:
        return isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1))
    if tp is str:
        return isinstance(value, str)
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray, range)):
            return False
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return len(args) != 1 or len(value) > 1000 or all(_matches(v, args[0]) for v in value)
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if origin is collections.abc.Callable or tp is collections.abc.Callable:
        return callable(value)
    if isinstance(tp, type) and origin is None:
        return isinstance(value, tp)
    return True  # anything more elaborate: not checked here


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_describe(a) for a in typing.get_args(tp)))
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(tp)))
    if tp is _NONE:
        return "None"
    if tp is Any:
        return "a value"
    if tp is float:
        return "a number"
    if tp is int:
        return "a whole number"
    if tp is bool:
        return "True or False"
    if tp is str:
        return "a string"
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable):
        args = typing.get_args(tp)
        return f"a list of {_describe(args[0]).removeprefix('a ')}s" if args else "a list"
    if origin is dict or tp is dict:
        return "a dict"
    if origin is collections.abc.Callable or tp is collections.abc.Callable:
        return "a function"
    return getattr(tp, "__name__", str(tp))


def _annotation(param: inspect.Parameter) -> str:
    a = param.annotation
    return "" if a is inspect.Parameter.empty else a if isinstance(a, str) else getattr(a, "__name__", str(a))


def _check_one(name: str, key: str, value: Any, annotation: str | None) -> Any:
    """Check one argument (``annotation`` is None for one taken by ``**kwargs``); returns it,
    normalised where a shorthand is allowed (one column name for a list of them)."""
    declared = annotation is not None
    if not declared and not _plain(value):
        raise InvalidParameterError(f"{name}(): `{key}` must be a number, a string, or a list or dict of them, "
                                    f"got {type(value).__name__} {value!r:.60}")
    if key == "fit" and declared:
        # A virkning result, recognised by its base class's name (importing it here would be an
        # import cycle: the base class wraps its methods with these checks).
        if not any(c.__module__ == "virkning.results._base" and c.__name__ == "Result" for c in type(value).__mro__):
            what = FIT_KINDS.get(name, "a fitted virkning result")
            raise InvalidParameterError(f"{name}(): `fit` must be {what}, got {type(value).__name__} {value!r:.60}")
    elif key == "formula" and declared:
        if not isinstance(value, str):
            raise FormulaError(f"{name}(): formula must be a string such as 'y ~ x | unit', "
                               f"got {type(value).__name__} {value!r:.60}")
    elif key in COLUMN_ROLES and declared and "str" in annotation:
        if value is not None and not isinstance(value, str):
            raise InvalidParameterError(f"{name}(): `{key}` must be a column name (str) or None, "
                                        f"got {type(value).__name__} {value!r:.60}")
    elif key in COLUMN_LISTS and declared:
        value = _column_list(name, key, value)
    elif key == "cluster" and declared and value is not None:
        ok = isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(c, str) for c in value))
        if not ok:
            raise InvalidParameterError(f"{name}(): `cluster` must be a column name or a list of "
                                        f"names, got {value!r:.60}")
    elif key == "backend":
        none_ok = annotation is None or "None" in annotation
        if (value is None and not none_ok) or (value is not None and getattr(value, "__name__", value) not in BACKENDS):
            raise UnknownChoiceError(f"{name}(): backend must be one of {', '.join(map(repr, BACKENDS))}, "
                                     f"got {value!r:.60}")
    elif key == "bootstrap_type" or (key == "wildboot" and isinstance(value, dict)):
        choice = value.get("bootstrap_type", "11") if isinstance(value, dict) else value
        if choice not in BOOTSTRAP_TYPES:
            raise UnknownChoiceError(f"{name}(): bootstrap_type must be one of "
                                     f"{', '.join(map(repr, BOOTSTRAP_TYPES))}, got {choice!r:.60}")
    elif key == "clusters" and value is not None:
        ok = value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)
        if not ok:
            raise UnknownChoiceError(f"{name}(): clusters must be None, a number of clusters (an integer "
                                     f">= 1) or 'auto', got {value!r:.60}")
    elif key in INT_OPTIONS and value is not None and (not declared or "int" in annotation):
        if not _is_whole(value):
            raise InvalidParameterError(f"{name}(): `{key}` must be a whole number, "
                                        f"got {type(value).__name__} {value!r:.60}")
    if key not in _SKIP_VALUES:
        _check_value(name, key, value)
    return value


def _plain(value: Any, depth: int = 0) -> bool:
    """A value JSON carries: None, bool, number, string, or a list/dict of them."""
    if value is None or isinstance(value, (bool, numbers.Number, str, np.bool_)):
        return True
    if depth < 3 and isinstance(value, (list, tuple, np.ndarray)):
        return all(_plain(v, depth + 1) for v in list(value)[:10_000])
    if depth < 3 and isinstance(value, dict):
        return all(isinstance(k, (str, numbers.Number)) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _column_list(name: str, key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        items = list(value)
    except TypeError:
        items = None
    if items is None or not all(isinstance(c, str) for c in items):
        raise InvalidParameterError(f"{name}(): `{key}` must be a column name or a list of names, got {value!r:.60}")
    return items


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()


def _check_value(name: str, key: str, value: Any, depth: int = 0) -> None:
    """No NaN or infinity in an option (JSON cannot carry them, and none has a meaning)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameterError(f"{name}(): `{key}` must be a finite number, got {value}")
    if depth < 3 and isinstance(value, dict):
        for k, v in value.items():
            _check_value(name, f"{key}[{k!r}]", v, depth + 1)
    elif depth < 3 and isinstance(value, (list, tuple)) and len(value) <= 10_000:
        for i, v in enumerate(value):
            _check_value(name, f"{key}[{i}]", v, depth + 1)


def public_methods(cls: type) -> type:
    """Apply :func:`public` to the public methods defined on ``cls`` (not properties)."""
    for attr, value in list(vars(cls).items()):
        if not attr.startswith("_") and inspect.isfunction(value):
            setattr(cls, attr, public(value))
    return cls
