"""The industrial discharge regulations a monitoring point is judged by: the one declaration.

Each regulation names its legal source, the classes (columns) of its limit table, which of its
coefficients multiply the table value (``Cmax = C × K1 × K2``), and the limit values ioc-gis
could read. A value that could not be read from a source is left out, never guessed: a point's
own environmental permit may give its limits instead (``permit_limits``), and a parameter with
neither is not judged. Sources and gaps: ``docs/facilities.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType


@dataclass(frozen=True)
class Regulation:
    """One national technical regulation on industrial discharges."""

    code: str
    kind: str  # the point kind it governs: "wastewater" or "stack"
    title: str
    issued_by: str
    #: Entry into force (None where no source was read).
    in_force: date | None
    #: The columns of its limit table.
    classes: tuple[str, ...]
    #: Coefficients whose product multiplies C (empty: Cmax = C).
    coefficients: tuple[str, ...] = ()
    #: class → parameter → C (the point kinds' units: mg/L, mg/Nm³).
    limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Parameters judged as a range (low, high), never multiplied by coefficients.
    ranges: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    replaced_by: str | None = None
    note: str = ""


def _freeze(d: dict[str, dict[str, float]]) -> Mapping[str, Mapping[str, float]]:
    return MappingProxyType({k: MappingProxyType(v) for k, v in d.items()})


# QCVN 40:2011 Bảng 1 as transcribed by third parties (two independent transcriptions agree on
# every value kept here; the signed Bảng 1 itself could not be read). Kq and Kf are the point's
# (its permit states them): their tables (§2.3, §2.4) could not be read either.
_QCVN40_2011: dict[str, dict[str, float]] = {
    "A": {"bod5": 30, "cod": 75, "tss": 50},
    "B": {"bod5": 50, "cod": 150, "tss": 100, "tn": 40, "tp": 6},
}
# QCVN 19:2009 Bảng 1 column B (mg/Nm³ at 25 °C, 760 mmHg), two third-party transcriptions.
# Column A could not be confirmed: left out.
_QCVN19_2009: dict[str, dict[str, float]] = {"B": {"pm": 200, "co": 1000, "so2": 500, "nox": 850}}

REGULATIONS: Mapping[str, Regulation] = MappingProxyType(
    {
        r.code: r
        for r in (
            Regulation(
                "QCVN 40:2011/BTNMT", "wastewater", "Nước thải công nghiệp",
                "Thông tư 47/2011/TT-BTNMT (28/12/2011)", date(2012, 2, 15), ("A", "B"),
                coefficients=("kq", "kf"), limits=_freeze(_QCVN40_2011),
                ranges=MappingProxyType({
                    "A": MappingProxyType({"ph": (6.0, 9.0)}),
                    "B": MappingProxyType({"ph": (5.5, 9.0)}),
                }),
                replaced_by="QCVN 40:2025/BTNMT",
                note="Cmax = C × Kq × Kf (§2.1); replaced from 01/09/2025, existing facilities "
                "under the transition of Thông tư 06/2025 Điều 3.",
            ),
            Regulation(
                "QCVN 40:2025/BTNMT", "wastewater", "Nước thải công nghiệp",
                "Thông tư 06/2025/TT-BTNMT (28/02/2025)", date(2025, 9, 1), ("A", "B", "C"),
                note="Limit table not read: points give their permit's limits.",
            ),
            Regulation(
                "QCVN 19:2009/BTNMT", "stack", "Khí thải công nghiệp đối với bụi và các chất vô cơ",
                "Thông tư 25/2009/TT-BTNMT (16/11/2009)", None, ("A", "B"),
                coefficients=("kp", "kv"), limits=_freeze(_QCVN19_2009),
                replaced_by="QCVN 19:2024/BTNMT",
                note="Cmax = C × Kp × Kv; Nm³ at 25 °C and 760 mmHg (§1.3.3).",
            ),
            Regulation(
                "QCVN 19:2024/BTNMT", "stack", "Khí thải công nghiệp",
                "Thông tư 45/2024/TT-BTNMT", date(2025, 7, 1), ("A", "B", "C"),
                note="Limit table not read: points give their permit's limits.",
            ),
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class Limit:
    """The limit a point's hourly mean of one parameter is judged against."""

    value: float | None  # maximum (Cmax); None for a range
    low: float | None = None
    high: float | None = None
    source: str = ""  # "QCVN 40:2011/BTNMT B × Kq × Kf" or "permit"

    def exceeded_by(self, mean: float) -> bool:
        """Whether an hourly mean breaks this limit."""
        if self.value is not None:
            return mean > self.value
        return (self.low is not None and mean < self.low) or (
            self.high is not None and mean > self.high
        )


def get_regulation(code: str) -> Regulation | None:
    """The regulation ``code`` (as written in its title, e.g. "QCVN 40:2011/BTNMT")."""
    return REGULATIONS.get(code)


def check_point(kind: str, regulation: str, klass: str, coefficients: Mapping[str, float]) -> None:
    """Raise ValueError unless the regulation governs ``kind``, has ``klass`` and its factors."""
    reg = REGULATIONS.get(regulation)
    if reg is None:
        raise ValueError(f"unknown regulation {regulation!r} (one of {', '.join(REGULATIONS)})")
    if reg.kind != kind:
        raise ValueError(f"{regulation} governs {reg.kind} points, not {kind}")
    if klass not in reg.classes:
        raise ValueError(f"{regulation} has class {', '.join(reg.classes)}, not {klass!r}")
    missing = [k for k in reg.coefficients if k not in coefficients]
    if missing:
        raise ValueError(f"{regulation} needs coefficient(s) {', '.join(missing)}")
    extra = sorted(set(coefficients) - set(reg.coefficients))
    if extra:
        raise ValueError(f"{regulation} has no coefficient {', '.join(extra)}")
    bad = [k for k, v in coefficients.items() if not (0 < v <= 10)]
    if bad:
        raise ValueError(f"coefficient(s) {', '.join(bad)} must be in (0, 10]")


def point_limit(
    regulation: str,
    klass: str,
    coefficients: Mapping[str, float],
    permit_limits: Mapping[str, float],
    param: str,
) -> Limit | None:
    """The limit of ``param`` at a point: its permit's value, else C × coefficients, else None."""
    if param in permit_limits:
        return Limit(float(permit_limits[param]), source="permit")
    reg = REGULATIONS.get(regulation)
    if reg is None:
        return None
    span = reg.ranges.get(klass, {}).get(param)
    if span is not None:
        return Limit(None, span[0], span[1], f"{reg.code} {klass}")
    c = reg.limits.get(klass, {}).get(param)
    if c is None:
        return None
    factor = 1.0
    for k in reg.coefficients:
        factor *= float(coefficients[k])
    names = "".join(f" × {k.capitalize()}" for k in reg.coefficients)
    return Limit(c * factor, source=f"{reg.code} {klass}{names}")
