"""The report's tables, built once from its figures: the PDF and the XLSX show these rows,
so the two files cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sensors.indices.categories import SCALES
from sensors.indices.limits import PERIODS
from sensors.properties import get_property
from sensors.reports.figures import PERIODS as COUNTED
from sensors.reports.figures import REQUIRED_SHARE

STANDARD = {"air": "QCVN 05:2023/BTNMT", "water": "QCVN 08:2023/BTNMT"}
TITLE = {"air": "BÁO CÁO CHẤT LƯỢNG KHÔNG KHÍ", "water": "BÁO CÁO CHẤT LƯỢNG NƯỚC MẶT"}
TITLE_EN = {"air": "Air quality report", "water": "Surface water quality report"}
_PERIOD_VI = {"1h": "giờ", "8h": "8 giờ", "24h": "ngày"}
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One table: a sheet name, a bilingual title, the header and the rows."""

    sheet: str
    title: str
    header: list[str]
    rows: list[list[Cell]]


def _param(kind: str, code: str) -> str:
    """A parameter's display name (PM2.5, not pm25)."""
    prop = get_property(kind, code)
    return prop.name if prop else code


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def _categories(report: dict[str, Any]) -> Table:
    cats = SCALES["vn_aqi"]
    header = ["Trạm / Station", *(c.name_vi for c in cats), "Ngày có AQI", "AQI TB"]
    rows: list[list[Cell]] = [
        [
            f"{s['code']} – {s['name']}",
            *(s["by_category"][c.key] for c in cats),
            s["aqi_days"],
            s["mean_aqi"],
        ]
        for s in report["stations"]
    ]
    return Table(
        "VN_AQI",
        "Số ngày theo mức VN_AQI ngày (Quyết định 1459/QĐ-TCMT) · Days per daily VN_AQI category",
        header,
        rows,
    )


def _worst(report: dict[str, Any]) -> Table:
    rows: list[list[Cell]] = [
        [s["code"], w["day"], w["aqi"], w["category_vi"], _param("air", w["dominant"])]
        for s in report["stations"]
        for w in s["worst"]
    ]
    return Table(
        "Worst days",
        "Những ngày ô nhiễm nhất · Worst days",
        ["Trạm", "Ngày", "VN_AQI", "Mức", "Thông số chính"],
        rows,
    )


def _wqi(report: dict[str, Any]) -> Table:
    bands = SCALES["vn_wqi"]
    header = ["Trạm / Station", "Ngày có WQI", "Min", "TB", "Max", *(b.name_vi for b in bands)]
    rows: list[list[Cell]] = [
        [
            f"{s['code']} – {s['name']}",
            s["wqi_days"],
            s["wqi_min"],
            s["wqi_mean"],
            s["wqi_max"],
            *(s["by_band"][b.key] for b in bands),
        ]
        for s in report["stations"]
    ]
    return Table("VN_WQI", "VN_WQI ngày (Quyết định 1460/QĐ-TCMT) · Daily VN_WQI", header, rows)


def _exceedances(report: dict[str, Any]) -> Table:
    kind = report["kind"]
    periods = COUNTED[kind]
    header = ["Trạm", "Thông số"]
    for p in periods:
        header += [f"Số lần vượt TB {_PERIOD_VI[p]}", f"Số ngày có vượt TB {_PERIOD_VI[p]}"]
    rows: list[list[Cell]] = []
    for s in report["stations"]:
        for param, counts in sorted(s["exceedances"].items()):
            row: list[Cell] = [s["code"], _param(kind, param)]
            for p in periods:
                row += [counts.get(p, 0), counts.get(f"{p}_days", 0)]
            rows.append(row)
    hours = ", ".join(f"{p} = {PERIODS[p]} h" for p in periods)
    return Table(
        "Exceedances", f"Vượt {STANDARD[kind]} theo thông số ({hours}) · Exceedances", header, rows
    )


def _completeness(report: dict[str, Any]) -> Table:
    share = int(REQUIRED_SHARE * 100)
    rows: list[list[Cell]] = [
        [s["code"], c["received"], c["expected"], _pct(c["ratio"]), c["days"], c["days_below"]]
        for s in report["stations"]
        for c in [s["completeness"]]
    ]
    return Table(
        "Completeness",
        "Mức đầy đủ số liệu · Data completeness",
        ["Trạm", "Số liệu nhận", "Số liệu dự kiến", "Tỷ lệ (%)", "Số ngày", f"Ngày dưới {share} %"],
        rows,
    )


def _metrics(kind: str, s: dict[str, Any]) -> list[tuple[str, Cell]]:
    """The figures compared with the previous period."""
    exc = s["exceedances"]
    out: list[tuple[str, Cell]] = []
    if kind == "air":
        poor = sum(s["by_category"][c.key] for c in SCALES["vn_aqi"][2:])
        out += [("AQI TB ngày", s["mean_aqi"]), ("Ngày AQI từ Kém trở lên", poor)]
        out.append(("Ngày vượt TB 24 giờ", sum(v.get("24h", 0) for v in exc.values())))
    else:
        out.append(("WQI TB ngày", s["wqi_mean"]))
    out.append(("Số lần vượt TB giờ", sum(v.get("1h", 0) for v in exc.values())))
    out.append(("Tỷ lệ đầy đủ (%)", _pct(s["completeness"]["ratio"])))
    return out


def _comparison(report: dict[str, Any]) -> Table:
    rows: list[list[Cell]] = []
    for s in report["stations"]:
        prev = dict(_metrics(report["kind"], s["previous"]))
        for name, value in _metrics(report["kind"], s):
            before = prev[name]
            diff = (
                round(value - before, 1)
                if isinstance(value, int | float) and isinstance(before, int | float)
                else None
            )
            rows.append([s["code"], name, value, before, diff])
    return Table(
        "Comparison",
        f"So sánh với kỳ trước ({report['previous_period']}) · Comparison with the previous period",
        ["Trạm", "Chỉ tiêu", report["period"], report["previous_period"], "Chênh lệch"],
        rows,
    )


def tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report, in order."""
    first = [_categories(report), _worst(report)] if report["kind"] == "air" else [_wqi(report)]
    return [*first, _exceedances(report), _completeness(report), _comparison(report)]


def daily(report: dict[str, Any]) -> Table:
    """The daily index of every station (the XLSX's last sheet, the PDF's chart)."""
    name, scale = ("VN_AQI", "vn_aqi") if report["kind"] == "air" else ("VN_WQI", "vn_wqi")
    names = {c.key: c.name_vi for c in SCALES[scale]}
    rows: list[list[Cell]] = [
        [s["code"], d, v, names.get(c, c)] for s in report["stations"] for d, v, c in s["daily"]
    ]
    return Table("Daily", f"{name} từng ngày · Daily {name}", ["Trạm", "Ngày", name, "Mức"], rows)
