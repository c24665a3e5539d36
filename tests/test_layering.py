"""The package layering DESIGN.md promises, checked on the real tree.

- ``core`` is stdlib only: importing it and every submodule in a fresh interpreter loads no
  web, storage or hardware library, and neither ``hub``, ``node`` nor ``loket``.
- ``hub`` never imports ``node`` and ``node`` never imports ``hub`` (import statements and
  ``importlib.import_module("...")`` calls, found by AST); nothing but the tests imports the
  composition root ``loket``, which alone may see both, and only inside functions.
- No module imports another module's private (``_name``) names.
- ``node/hardware`` imports hardware libraries only inside functions, so importing a backend
  module never touches a device or fails on a machine without the driver.
"""

from __future__ import annotations

import ast
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN_IN_CORE = (
    "flask", "tinydb", "gpiozero", "escpos", "pygame", "luma", "serial", "waitress",
    "werkzeug", "PIL", "usb", "RPi", "lgpio", "spidev", "hub", "node", "loket",
    "region", "psycopg", "psycopg_pool",
)  # fmt: skip
PACKAGES = ("core", "hub", "node", "loket", "region")
HARDWARE_LIBS = (
    "gpiozero", "escpos", "serial", "luma", "pygame", "spidev", "RPi", "lgpio", "usb",
    "pigpio", "smbus", "smbus2",
)  # fmt: skip

PROBE = """
import importlib, json, pkgutil, sys
import core
names = sorted(m.name for m in pkgutil.iter_modules(core.__path__, "core."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_core_imports_no_third_party_or_sibling_package(python, subprocess_env):
    done = subprocess.run(
        [python, "-c", PROBE], env=subprocess_env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    on_disk = sorted(f"core.{p.stem}" for p in (ROOT / "core").glob("*.py") if p.stem != "__init__")
    assert report["modules"] == on_disk
    assert {"core.queue", "core.journal", "core.config"} <= set(report["modules"])
    loaded_roots = {name.split(".")[0] for name in report["loaded"]}
    assert sorted(loaded_roots & set(FORBIDDEN_IN_CORE)) == []


# -- AST helpers ----------------------------------------------------------------------------------


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) for every import statement and importlib.import_module("x") call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def import_time_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Imports that run when the module is imported: module level, class bodies, if/try/with
    blocks - not function bodies, and not ``if TYPE_CHECKING:`` blocks."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from imported_modules(node)
            continue
        stack.extend(ast.iter_child_nodes(node))


def roots(module: str) -> str:
    return module.split(".")[0]


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


# -- the checks on the real tree ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("hub", "node"), ("node", "hub"), ("region", "hub"), ("region", "node"), ("hub", "region"),
     ("node", "region")],
)  # fmt: skip
def test_hub_and_node_never_import_each_other(package, forbidden):
    files = python_files(package)
    assert files, f"no {package}/*.py found: the check would be empty"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(parse(path))
        if roots(module) == forbidden
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["core", "hub", "node", "bench", "region"])
def test_nothing_but_the_tests_imports_the_composition_root(package):
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files(package)
        for line, module in imported_modules(parse(path))
        if roots(module) == "loket"
    ]
    assert offenders == []


def test_the_composition_root_imports_hub_and_node_only_inside_functions():
    files = python_files("loket")
    assert files, "no loket/*.py found: the check would be empty"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module} at import time"
        for path in files
        for line, module in import_time_imports(parse(path))
        if roots(module) in ("hub", "node")
    ]
    assert offenders == []


def private_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, "module._name") for every ``from module import _name`` of another module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, f"{node.module}.{alias.name}"


@pytest.mark.parametrize("package", [*PACKAGES, "bench", "tests"])
def test_no_private_names_are_imported_across_modules(package):
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in python_files(package)
        for line, name in private_imports(parse(path))
    ]
    assert offenders == []


def test_node_hardware_imports_drivers_only_inside_functions():
    files = python_files("node/hardware")
    assert files, "no node/hardware/*.py found: the check would be empty"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module} at import time"
        for path in files
        for line, module in import_time_imports(parse(path))
        if roots(module) in HARDWARE_LIBS
    ]
    assert offenders == []


# -- the checkers themselves catch what they should (else the tests above prove nothing) ---------


def test_checkers_see_every_import_form():
    src = """
import node.app
from node import sync
import importlib
importlib.import_module("node.commands")
__import__("node")
from . import sibling
"""
    found = [m for _, m in imported_modules(ast.parse(src))]
    assert found == ["node.app", "node", "importlib", "node.commands", "node"]


def test_private_import_scan_sees_private_names_only():
    src = """
from __future__ import annotations
from node.roles.base import Role, _cfg
from hub import __version__
"""
    assert [n for _, n in private_imports(ast.parse(src))] == ["node.roles.base._cfg"]


def test_import_time_scan_skips_functions_and_type_checking_only():
    src = """
from typing import TYPE_CHECKING
import gpiozero
try:
    import serial
except ImportError:
    serial = None
if TYPE_CHECKING:
    import pygame
class Panel:
    import luma.core
    def open(self):
        import escpos
def helper():
    import usb
"""
    found = sorted(m for _, m in import_time_imports(ast.parse(src)))
    assert found == ["gpiozero", "luma.core", "serial", "typing"]
