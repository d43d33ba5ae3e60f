"""``pyproject.toml`` lists exactly what the code imports: nothing missing, nothing unused."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = {"gis", "layers", "maps", "sensors", "cli", "tests", "bench"}
#: Needed at run time without an import of their own, each for a stated reason.
INDIRECT = {
    "pyopenssl": "pyftpdlib's TLS_FTPHandler imports it (FTPS of the station-file receiver)",
    "mypy": "a tool of the test run, not imported",
    "ruff": "a tool of the test run, not imported",
    "pytest-timeout": "a pytest plugin, loaded by pytest",
}
#: Provided by Debian packages (scripts/setup.sh), not by PyPI.
SYSTEM = {"qgis"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    return runtime, dev


def _imported(*dirs: str) -> set[str]:
    """Top-level names of the third-party modules imported under ``dirs``."""
    names: set[str] = set()
    for d in dirs:
        for path in (ROOT / d).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    # a script's own helper beside it (bench/bench_ingest.py, tests/qgis/qgislib.py) is ours too
    beside = {f.stem for d in dirs for f in (ROOT / d).rglob("*.py")}
    return {n for n in names
            if n not in sys.stdlib_module_names and n not in LOCAL | SYSTEM | beside}  # fmt: skip


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    """Each module's installed distributions (normalised names)."""
    known = packages_distributions()
    return {m: {d.lower().replace("_", "-") for d in known.get(m, [])} for m in modules}


def test_every_import_is_a_declared_dependency():
    runtime, dev = _declared()
    code = _distributions(_imported("gis", "layers", "maps", "sensors", "cli"))
    missing = {m: d for m, d in code.items() if not d & runtime}
    assert not missing, f"imported by the code but not in [project].dependencies: {missing}"
    checks = _distributions(_imported("tests", "bench"))
    missing = {m: d for m, d in checks.items() if not d & (runtime | dev)}
    assert not missing, f"imported by tests or benchmarks but not declared: {missing}"


def test_every_declared_dependency_is_imported():
    runtime, dev = _declared()
    code = _distributions(_imported("gis", "layers", "maps", "sensors", "cli"))
    used = set().union(*code.values())
    used_dev = set().union(*_distributions(_imported("tests", "bench")).values())
    unused = runtime - used - set(INDIRECT)
    assert not unused, f"in [project].dependencies but imported by no module: {sorted(unused)}"
    unused_dev = dev - used_dev - used - set(INDIRECT)
    assert not unused_dev, f"in the dev extra but imported by no test: {sorted(unused_dev)}"
