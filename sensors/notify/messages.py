"""Short messages in Vietnamese and English: what, value, limit, station, time, link."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sensors.indices.categories import VN_AQI_CATEGORIES
from sensors.notify.notice import Notice
from sensors.properties import get_property

VN_TIME = timedelta(hours=7)

_PERIOD = {
    "vi": {"1h": "1 giờ", "8h": "8 giờ", "24h": "24 giờ", "annual": "năm"},
    "en": {"1h": "1-hour", "8h": "8-hour", "24h": "24-hour", "annual": "annual"},
}
_TITLE = {
    "vi": {
        ("exceedance", "start"): "Vượt quy chuẩn",
        ("exceedance", "reminder"): "Vẫn vượt quy chuẩn",
        ("exceedance", "end"): "Hết vượt quy chuẩn",
        ("aqi", "start"): "Chất lượng không khí",
        ("aqi", "escalation"): "Chất lượng không khí xấu đi",
        ("aqi", "reminder"): "Chất lượng không khí vẫn",
        ("aqi", "end"): "Chất lượng không khí đã cải thiện",
        ("offline", "start"): "Trạm mất kết nối",
        ("offline", "end"): "Trạm có dữ liệu trở lại",
        ("device", "start"): "Lỗi thiết bị",
        ("device", "end"): "Thiết bị hoạt động trở lại",
        ("test", "test"): "Thử kênh thông báo",
    },
    "en": {
        ("exceedance", "start"): "Limit exceeded",
        ("exceedance", "reminder"): "Still exceeding",
        ("exceedance", "end"): "Exceedance over",
        ("aqi", "start"): "Air quality",
        ("aqi", "escalation"): "Air quality worse",
        ("aqi", "reminder"): "Air quality still",
        ("aqi", "end"): "Air quality improved",
        ("offline", "start"): "Station offline",
        ("offline", "end"): "Station reporting again",
        ("device", "start"): "Device error",
        ("device", "end"): "Device working again",
        ("test", "test"): "Notification channel test",
    },
}


def _num(v: float | None) -> str:
    """A value as staff read it: 4 significant digits, no exponent for usual magnitudes."""
    return "–" if v is None else f"{v:.4g}"


def link(base: str, notice: Notice) -> str:
    """The environment page centred on the notice's station."""
    return f"{base.rstrip('/')}/maps/environment?station={quote(notice.station_code)}"


def _detail(n: Notice, lang: str) -> str:
    """The one line that says what happened."""
    vi = lang == "vi"
    if n.kind == "exceedance":
        prop = get_property(n.station_kind, n.parameter or "")
        name = prop.name if prop else (n.parameter or "?")
        unit = n.unit or (prop.unit if prop else "")
        period = _PERIOD[lang].get(n.period or "", n.period or "")
        if n.phase == "end":
            return (
                f"{name} trung bình {period}: đã dưới giới hạn"
                if vi
                else f"{name} {period} mean: back under the limit"
            )
        if vi:
            return (
                f"{name} trung bình {period}: {_num(n.value)} {unit}, giới hạn "
                f"{_num(n.limit)} {unit} ({n.standard})"
            )
        return (
            f"{name} {period} mean: {_num(n.value)} {unit}, limit {_num(n.limit)} {unit}"
            f" ({n.standard})"
        )
    if n.kind == "aqi":
        cat = VN_AQI_CATEGORIES[max(n.category, 1) - 1]
        name, msg = (cat.name_vi, cat.message_vi) if vi else (cat.name_en, cat.message_en)
        return f"VN_AQI {_num(n.value)} – {name}. {msg}"
    if n.phase == "end":
        return "Trạm gửi dữ liệu bình thường trở lại" if vi else "The station reports again"
    if n.state == "interrupted":
        return (
            "Gián đoạn truyền dữ liệu (Thông tư 10/2021/TT-BTNMT)"
            if vi
            else "Data transmission interrupted (Circular 10/2021/TT-BTNMT)"
        )
    if n.state == "offline":
        why = f" ({n.reason})" if n.reason else ""
        return ("Không nhận được dữ liệu" if vi else "No data received") + why
    if n.kind == "device":
        return ("Lỗi thiết bị" if vi else "Device fault") + (f": {n.reason}" if n.reason else "")
    return n.reason or n.state or ""


def render(n: Notice, lang: str, base_url: str) -> tuple[str, str]:
    """(subject, body) of a notice in ``lang`` (``vi`` or ``en``)."""
    if lang not in _TITLE:
        raise ValueError(f"unknown language {lang!r}")
    key = ("test", "test") if n.phase == "test" else (n.kind, n.phase)
    title = _TITLE[lang].get(key, _TITLE[lang].get((n.kind, "start"), n.kind))
    detail = _detail(n, lang)
    local = (n.at + VN_TIME).strftime("%H:%M %d/%m/%Y")
    subject = f"[IOC] {title}: {n.station_name} ({n.station_code})"
    if n.kind == "exceedance" and n.parameter:
        subject += f" – {n.parameter.upper()} {_num(n.value)}/{_num(n.limit)}"
    if n.kind == "aqi":
        subject += f" – VN_AQI {_num(n.value)}"
    when = "Thời điểm" if lang == "vi" else "Time"
    zone = "giờ Việt Nam" if lang == "vi" else "Vietnam time"
    see = "Xem" if lang == "vi" else "View"
    body = (
        f"{title} – {n.station_name} ({n.station_code})\n{detail}\n"
        f"{when}: {local} ({zone})\n{see}: {link(base_url, n)}\n"
    )
    return subject, body
