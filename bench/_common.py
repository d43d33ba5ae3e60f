"""Shared pieces of the parcel benchmarks: a scratch database, the cached sample file, timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from gis import migrate
from gis.admin import load_admin_units
from gis.db import close_pools, drop_database
from gis.settings import get_settings, to_libpq_url
from gis.synth import synth_parcels

SERVER = os.environ.get("IOC_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
CACHE = Path(os.environ.get("IOC_BENCH_CACHE", Path(tempfile.gettempdir()) / "iocgis-bench"))
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One child process: wall time, peak resident memory (of that process), exit code."""

    seconds: float
    peak_mb: float
    returncode: int
    output: str


def _peak_kb(pid: int) -> int | None:
    """The process's peak resident memory so far (VmHWM, kB), or None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((ln for ln in status.splitlines() if ln.startswith("VmHWM:")), None)
    return int(line.split()[1]) if line else None


def run_child(args: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run ``args`` as its own process; measure its wall time and its own peak RSS.

    The peak is the child's VmHWM, read every 50 ms while it runs: ``ru_maxrss`` would report
    this process's resident size instead when it was the larger (a child started with vfork
    shares our memory until its exec, and Linux keeps that high-water mark across the exec).
    """
    started = time.perf_counter()
    peak = 0
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            list(args), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True
        )
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                # VmHWM only grows while the process runs: the last reading is its peak.
                peak = _peak_kb(proc.pid) or peak
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    return Run(seconds, peak / 1024, proc.returncode, text)


def python_child(code: str, url: str) -> Run:
    """Run Python ``code`` in a fresh interpreter of this environment against ``url``."""
    env = {**os.environ, "IOC_DATABASE_URL": url}
    return run_child([sys.executable, "-c", code], env)


_IMPORT = """
import json
from gis.parcels.importer import import_parcels
s = import_parcels({path!r}, {crs!r}, layer={layer!r})
print("RESULT " + json.dumps(s.to_dict(), default=str))
"""


def import_child(path: Path, crs: str, layer: str, url: str) -> tuple[Run, dict[str, Any]]:
    """``import_parcels`` of one layer in a fresh process: its time, peak RSS and summary."""
    run = python_child(_IMPORT.format(path=str(path), crs=crs, layer=layer), url)
    result = [ln for ln in run.output.splitlines() if ln.startswith("RESULT ")]
    if run.returncode or not result:
        raise SystemExit(run.output[-3000:])
    summary: dict[str, Any] = json.loads(result[0].removeprefix("RESULT "))
    return run, summary


@contextmanager
def scratch_database(keep: bool = False) -> Iterator[str]:
    """A fresh migrated database with the administrative units loaded; dropped afterwards."""
    url = f"{SERVER}/iocgis_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    os.environ["IOC_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        migrate.upgrade(url)
        load_admin_units(url)
        yield url
    finally:
        close_pools()
        if keep:
            print(f"kept database {url}")
        else:
            drop_database(url)


def sample_file(url: str, count: int, province: str, seed: int) -> Path:
    """The synthetic GeoPackage of ``count`` parcels over ``province`` (cached between runs)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"parcels_{province}_{count}_s{seed}.gpkg"
    if path.exists():
        print(f"reusing {path}")
        return path
    t = time.perf_counter()
    summary = synth_parcels(path, count, province=province, seed=seed, url=url)  # atomic
    layers = ", ".join(f"{la.name} {la.crs} {la.count}" for la in summary.layers)
    print(f"generated {summary.count} parcels in {time.perf_counter() - t:.1f} s: {layers}")
    return path


def warm(path: Path) -> None:
    """Read the file once so that neither side pays for a cold page cache."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def libpq_dsn(url: str) -> str:
    """``PG:`` connection string for GDAL from a libpq URL."""
    info = psycopg.conninfo.conninfo_to_dict(to_libpq_url(url))
    return "PG:" + " ".join(f"{k}={v}" for k, v in info.items() if v is not None)
