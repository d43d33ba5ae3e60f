"""The report's charts (matplotlib, DejaVu Sans for Vietnamese), as PNG bytes."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: reports are made by the notifier and the CLI

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from sensors.indices.categories import SCALES

plt.rcParams["font.family"] = "DejaVu Sans"


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def category_bars(report: dict[str, Any]) -> bytes:
    """Stacked bars: days in each VN_AQI category (or VN_WQI band) per station."""
    air = report["kind"] == "air"
    scale = SCALES["vn_aqi" if air else "vn_wqi"]
    key = "by_category" if air else "by_band"
    stations = report["stations"]
    labels = [s["code"] for s in stations]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(stations) + 2))
    left = [0] * len(stations)
    for cat in scale:
        widths = [s[key][cat.key] for s in stations]
        ax.barh(
            labels,
            widths,
            left=left,
            color=cat.hex,
            edgecolor="#555",
            linewidth=0.4,
            label=cat.name_vi,
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("Số ngày · days")
    ax.set_title(
        ("Số ngày theo mức VN_AQI" if air else "Số ngày theo mức VN_WQI") + f" – {report['period']}"
    )
    ax.legend(
        ncol=min(len(scale), 6),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        fontsize=8,
        frameon=False,
    )
    return _png(fig)


def daily_lines(report: dict[str, Any]) -> bytes:
    """The daily index of each station over the period, on the category colours."""
    air = report["kind"] == "air"
    scale = SCALES["vn_aqi" if air else "vn_wqi"]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    top, drawn = 0.0, 0
    for s in report["stations"]:
        if not s["daily"]:
            continue
        days = [date.fromisoformat(d) for d, _v, _c in s["daily"]]
        values = [v for _d, v, _c in s["daily"]]
        top = max(top, *values)
        drawn += 1
        ax.plot(
            mdates.date2num(days),
            values,
            marker="o",
            markersize=2.5,
            linewidth=1.2,
            label=s["code"],
        )
    for cat in scale:
        if cat.low <= max(top, 100):
            ax.axhspan(
                cat.low,
                min(cat.high + 1, max(top, 100) * 1.1),
                color=cat.hex,
                alpha=0.15,
                linewidth=0,
            )
    ax.set_ylim(0, max(top, 100) * 1.1)
    first, last = date.fromisoformat(report["first"]), date.fromisoformat(report["last"])
    span = (last - first).days + 1
    ax.set_xlim(mdates.date2num(first) - 0.5, mdates.date2num(last) + 0.5)
    # Whole days only: an automatic locator puts several ticks on one day for short series.
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span // 12)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.set_ylabel("VN_AQI" if air else "VN_WQI")
    ax.set_title(("VN_AQI ngày" if air else "VN_WQI ngày") + f" – {report['period']}")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=8, ncol=4)
    else:
        ax.text(0.5, 0.5, "Không có số liệu · no data", transform=ax.transAxes, ha="center")
    return _png(fig)
