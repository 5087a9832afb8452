"""The design rules of docs/architecture.md, checked so they cannot rot:

- layers: each sub-package imports only those below it, the engine and the analysis
  nothing of each other (import-linter's layers contract in pyproject.toml);
- no function-level import of the package's own modules outside the CLI (they hide cycles);
- no private name (``_x``) of one module used in another;
- the engine knows no strategy by name; charts use no pyplot state or backend switch.

Each home-made check is shown to catch a violation in a package made for the test.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.strategies import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
DEFERRED = {"cli.py"}  # the CLI defers imports to keep `groupsim --help` fast


def modules(package: Path):
    for path in sorted(package.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def own(node: ast.AST, package: str) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == package
    return isinstance(node, ast.Import) and any(a.name.split(".")[0] == package for a in node.names)


def function_level_imports(package: Path) -> list[str]:
    found = []
    for path, tree in modules(package):
        if path.relative_to(package).as_posix() in DEFERRED:
            continue
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{path.name}:{n.lineno}" for n in ast.walk(fn) if own(n, package.name)]
    return found


def private_names_across_modules(package: Path) -> list[str]:
    """``from .x import _y``, and ``x._y`` where ``x`` is a module of the package."""
    found = []
    for path, tree in modules(package):
        own_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and own(node, package.name):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.name}:{node.lineno}: {alias.name}")
                    own_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import) and own(node, package.name):
                own_modules |= {a.asname or a.name.split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in own_modules and node.attr.startswith("_") \
                    and not node.attr.startswith("__"):
                found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_layers_contract_is_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    command = [str(linter)] if linter.exists() else [shutil.which("lint-imports") or "lint-imports"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_no_function_level_imports_of_the_package_outside_the_cli():
    assert function_level_imports(PACKAGE) == []


def test_no_private_name_is_used_outside_its_module():
    assert private_names_across_modules(PACKAGE) == []


@pytest.fixture
def bad_package(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def _hidden():\n    return 1\n")
    (pkg / "b.py").write_text("from .a import _hidden\nfrom . import a\n\n\ndef f():\n"
                              "    from .a import _hidden as h\n    return a._hidden() + h()\n")
    return pkg


def test_the_home_made_checks_catch_violations(bad_package):
    assert function_level_imports(bad_package) == ["b.py:6"]
    assert private_names_across_modules(bad_package) == ["b.py:1: _hidden", "b.py:6: _hidden", "b.py:7: a._hidden"]


def test_the_engine_knows_no_strategy_by_name():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "engine").rglob("*.py"))
    for name in [*REGISTRY, "shill", "red_packet"]:
        assert name not in text, name


def test_charts_switch_no_backend_and_keep_no_pyplot_state():
    for path, tree in modules(PACKAGE):
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
                assert not any("pyplot" in n for n in names), path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use":
                assert not (isinstance(node.func.value, ast.Name) and node.func.value.id == "matplotlib"), path
