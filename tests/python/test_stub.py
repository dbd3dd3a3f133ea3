"""The hand-written stub lists exactly what the compiled module exports."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import virkning._core as core

STUB = Path(__file__).resolve().parents[2] / "python" / "virkning" / "_core.pyi"


def _stub_names() -> set[str]:
    tree = ast.parse(STUB.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_every_stub_name_exists_in_the_module():
    missing = sorted(n for n in _stub_names() if not hasattr(core, n))
    assert not missing, missing


def test_every_public_module_name_is_in_the_stub():
    public = {n for n in dir(core) if not n.startswith("_")} | {"__version__"}
    assert not sorted(public - _stub_names())


def _stub_nodes() -> dict[str, ast.AST]:
    return {n.name: n for n in ast.parse(STUB.read_text()).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _stub_params(fn: ast.FunctionDef) -> list[tuple[str, bool]]:
    """(name, has a default) of each parameter of a stub function, ``self`` left out."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    out = [(p.arg, d) for p, d in zip(positional, defaults)]
    out += [(p.arg, d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return [p for p in out if p[0] != "self"]


def _module_params(obj) -> list[tuple[str, bool]] | None:
    """The same from the compiled function's text signature (None when it has none)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.default is not inspect.Parameter.empty) for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def test_function_signatures_match_the_module():
    """As mypy's stubtest: every stub function takes the compiled function's parameters, in
    order, with defaults where the module has them."""
    wrong = {}
    for name, node in _stub_nodes().items():
        if isinstance(node, ast.FunctionDef):
            have = _module_params(getattr(core, name))
            if have is not None and have != _stub_params(node):
                wrong[name] = (_stub_params(node), have)
    assert not wrong, wrong


def test_class_methods_match_the_module():
    """Every stub class lists exactly the public methods of the compiled class, with their
    parameters; exception classes derive as the stub says."""
    wrong = {}
    for name, node in _stub_nodes().items():
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(core, name)
        bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
        for base in bases:
            if hasattr(core, base):
                assert issubclass(cls, getattr(core, base)), (name, base)
            else:
                assert base in {b.__name__ for b in cls.__mro__}, (name, base)
        stub_methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")}
        module_methods = {m for m in vars(cls) if not m.startswith("_") and callable(getattr(cls, m))}
        if issubclass(cls, BaseException):
            continue
        if set(stub_methods) != module_methods:
            wrong[name] = (sorted(stub_methods), sorted(module_methods))
            continue
        for m, fn in stub_methods.items():
            have = _module_params(getattr(cls, m))
            if have is not None and have != _stub_params(fn):
                wrong[f"{name}.{m}"] = (_stub_params(fn), have)
    assert not wrong, wrong
