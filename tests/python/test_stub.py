"""The hand-written stub lists exactly what the compiled module exports."""

from __future__ import annotations

import ast
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
