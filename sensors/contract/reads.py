"""A read of the sensor tables written once and run by a sync (CLI, jobs) or async (web) caller.

The one declaration is :class:`gis.db.Read` with :func:`gis.db.run` / :func:`gis.db.arun` (every
area's reads use it); the contract re-exports them for its callers.
"""

from __future__ import annotations

from gis.db import Read, arun, run

__all__ = ["Read", "arun", "run"]
