"""What pyproject.toml declares: extras that exist, and every third-party import declared."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, metadata, packages_distributions

import pytest
from packaging.requirements import Requirement

from tests.servers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]


@pytest.mark.parametrize("req", [r for r in RUNTIME if r.extras], ids=str)
def test_every_extra_asked_for_is_one_the_package_provides(req: Requirement) -> None:
    # pip only warns about an extra it does not know and installs without it
    provided = set(metadata(req.name).get_all("Provides-Extra") or [])
    assert req.extras <= provided, f"{req.name} provides the extras {sorted(provided)}, not {sorted(req.extras - provided)}"


# Run only by whoever regenerates the README's picture, with the test extra installed.
DEV_TOOLS = {"scripts/screenshot.py"}


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for folder in ("engine", "api", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() in DEV_TOOLS:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("engine", "api", "scripts", "tests")}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency() -> None:
    dists = packages_distributions()
    declared = {_normal(r.name) for r in RUNTIME}
    for extra_req in RUNTIME:  # what a declared extra brings is declared too
        for dep in metadata(extra_req.name).get_all("Requires-Dist") or []:
            r = Requirement(dep)
            if r.marker is not None and any(r.marker.evaluate({"extra": e}) for e in extra_req.extras):
                declared.add(_normal(r.name))
    missing = {}
    for module in _third_party_imports():
        owners = {_normal(d) for d in dists.get(module, [])}
        if not owners & declared:
            missing[module] = sorted(owners) or ["not installed"]
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_the_websocket_client_the_readme_example_needs_comes_with_the_runtime_dependencies() -> None:
    socketio = next(r for r in RUNTIME if r.name == "python-socketio")
    assert "client" in socketio.extras
    try:
        metadata("websocket-client")
    except PackageNotFoundError:  # pragma: no cover - the failure message is the point
        pytest.fail("websocket-client is not installed: socketio.Client() would fall back to polling")
