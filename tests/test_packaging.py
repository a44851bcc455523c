"""What pyproject.toml declares: extras that exist, every third-party import declared, the
tested ranges of what the server leans on, and an installed (not editable) copy that works."""
from __future__ import annotations

import ast
import gc
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import PackageNotFoundError, metadata, packages_distributions, version
from pathlib import Path

import pytest
import requests
from packaging.requirements import Requirement

from api.app import DISTRIBUTION, create_app
from tests.servers import ROOT, free_port, wait_healthy

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
    return {n for n in names if n not in sys.stdlib_module_names
            and n not in ("engine", "api", "scripts", "frontend", "tests")}


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


def test_the_distribution_name_is_the_one_the_server_reports() -> None:
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == DISTRIBUTION
    app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "ERROR"})
    assert app.test_client().get("/health").json["version"] == version(DISTRIBUTION) == PROJECT["version"]


def test_eventlet_is_in_the_range_api_protocol_was_tested_with() -> None:
    req = next(r for r in RUNTIME if r.name == "eventlet")
    installed = version("eventlet")
    assert req.specifier.contains(installed), (
        f"eventlet {installed} is outside the tested range {req.specifier}: api/protocol.py overrides "
        "HttpProtocol.parse_request and reads rfile.fp and headers._headers; check them against this "
        "version, run tests/test_http_protocol.py, then widen the range in pyproject.toml")
    # in a child process: importing eventlet here would change this one (and it warns on import)
    probe = subprocess.run([sys.executable, "-W", "ignore", "-c",
                            "import eventlet.wsgi; print(callable(getattr(eventlet.wsgi.HttpProtocol, 'parse_request', None)))"],
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "True", \
        f"eventlet.wsgi.HttpProtocol.parse_request is gone: api/protocol.py must be redone for this eventlet {probe.stderr}"


def test_the_garbage_collector_has_the_three_generations_the_gc_policy_assumes() -> None:
    assert len(gc.get_threshold()) == len(gc.get_count()) == 3, (
        f"this Python's collector has thresholds {gc.get_threshold()}: api/gc_policy.py assumes three "
        "generations (a full collection is generation 2) and needs rethinking for this interpreter")


def test_an_installed_copy_serves_the_dashboard(tmp_path: Path) -> None:
    """``pip install .`` (not editable) into a fresh venv: the dashboard's files come along."""
    src = tmp_path / "src"
    for name in ("engine", "api", "scripts", "frontend"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    # the dependencies are this environment's (installing them again would only test the index)
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                              "--no-build-isolation", str(src)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    shutil.rmtree(src)  # nothing may be served from the source tree
    where = subprocess.run([str(python), "-c", "import api, frontend; print(api.__file__); print(frontend.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert all(p.startswith(site) for p in where), where
    port = free_port()
    proc = subprocess.Popen([str(python), "-m", "api", "--host", "127.0.0.1", "--port", str(port), "--fsync", "off",
                             "--log-level", "WARNING"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        page = requests.get(f"{url}/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        for asset in ("main.js", "account.js", "trades.js", "charts.js", "style.css", "vendor/socket.io.min.js"):
            assert requests.get(f"{url}/app/{asset}", timeout=5).status_code == 200, asset
        assert requests.get(f"{url}/docs", timeout=5).status_code == 200
        assert requests.get(f"{url}/health", timeout=5).json()["version"] == PROJECT["version"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
