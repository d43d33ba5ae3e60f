"""AQI categories (Decision 1459 Bảng 1 and 4; US EPA) and VN_WQI bands (Decision 1460)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One band of an index: range, names, colour and the public messages."""

    low: int
    high: int
    key: str
    name_vi: str
    name_en: str
    colour: str
    rgb: tuple[int, int, int]
    message_vi: str
    message_en: str
    advice_vi: str = ""
    advice_en: str = ""

    @property
    def hex(self) -> str:
        """The colour as #rrggbb."""
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


# Names, colours and RGB follow Bảng 1. ⚠ The long health messages and advice below are our
# rendering of Bảng 4 (general public / sensitive groups): check the wording against the signed
# text before publishing them as official.
VN_AQI_CATEGORIES: tuple[Category, ...] = (
    Category(
        0,
        50,
        "good",
        "Tốt",
        "Good",
        "green",
        (0, 228, 0),
        "Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe.",
        "Air quality is good; no health effects.",
        "Tự do thực hiện các hoạt động ngoài trời.",
        "Enjoy outdoor activities freely.",
    ),
    Category(
        51,
        100,
        "moderate",
        "Trung bình",
        "Moderate",
        "yellow",
        (255, 255, 0),
        "Chất lượng không khí ở mức chấp nhận được; người nhạy cảm có thể chịu những tác "
        "động nhất định tới sức khỏe.",
        "Air quality is acceptable; sensitive groups may be affected.",
        "Người nhạy cảm nên theo dõi các triệu chứng như ho hoặc khó thở.",
        "Sensitive people should watch for symptoms such as coughing or shortness of breath.",
    ),
    Category(
        101,
        150,
        "poor",
        "Kém",
        "Poor",
        "orange",
        (255, 126, 0),
        "Người nhạy cảm gặp phải các vấn đề về sức khỏe, người bình thường ít ảnh hưởng.",
        "Sensitive groups experience health effects; the general public is less affected.",
        "Người nhạy cảm nên giảm các hoạt động mạnh và thời gian hoạt động ngoài trời.",
        "Sensitive people should reduce strenuous and prolonged outdoor activity.",
    ),
    Category(
        151,
        200,
        "bad",
        "Xấu",
        "Bad",
        "red",
        (255, 0, 0),
        "Mọi người bắt đầu bị ảnh hưởng tới sức khỏe; người nhạy cảm có thể gặp vấn đề "
        "sức khỏe nghiêm trọng hơn.",
        "Everyone begins to be affected; sensitive groups more seriously.",
        "Mọi người nên giảm các hoạt động mạnh ngoài trời; người nhạy cảm nên ở trong nhà.",
        "Everyone should reduce strenuous outdoor activity; sensitive people should stay indoors.",
    ),
    Category(
        201,
        300,
        "very_bad",
        "Rất xấu",
        "Very bad",
        "purple",
        (143, 63, 151),
        "Cảnh báo sức khỏe: mọi người bị ảnh hưởng tới sức khỏe nghiêm trọng hơn.",
        "Health alert: everyone may experience more serious health effects.",
        "Hạn chế tối đa các hoạt động ngoài trời; nếu phải ra ngoài, hãy đeo khẩu trang "
        "đạt tiêu chuẩn.",
        "Avoid outdoor activity; wear a certified mask if you must go out.",
    ),
    Category(
        301,
        500,
        "hazardous",
        "Nguy hại",
        "Hazardous",
        "maroon",
        (126, 0, 35),
        "Cảnh báo khẩn cấp về sức khỏe: toàn bộ dân số bị ảnh hưởng nghiêm trọng.",
        "Health emergency: the entire population is seriously affected.",
        "Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ.",
        "Everyone should stay indoors with doors and windows closed.",
    ),
)

#: US EPA AQI categories (same colours as VN; names from the EPA).
US_AQI_CATEGORIES: tuple[Category, ...] = (
    Category(
        0,
        50,
        "good",
        "Tốt",
        "Good",
        "green",
        (0, 228, 0),
        "Không ảnh hưởng tới sức khỏe.",
        "Air quality is satisfactory.",
    ),
    Category(
        51,
        100,
        "moderate",
        "Trung bình",
        "Moderate",
        "yellow",
        (255, 255, 0),
        "Người nhạy cảm có thể bị ảnh hưởng.",
        "Acceptable; some risk for a few people.",
    ),
    Category(
        101,
        150,
        "usg",
        "Không tốt cho nhóm nhạy cảm",
        "Unhealthy for Sensitive Groups",
        "orange",
        (255, 126, 0),
        "Nhóm nhạy cảm bị ảnh hưởng.",
        "Members of sensitive groups may experience health effects.",
    ),
    Category(
        151,
        200,
        "unhealthy",
        "Không tốt",
        "Unhealthy",
        "red",
        (255, 0, 0),
        "Mọi người bắt đầu bị ảnh hưởng.",
        "Some of the general public affected.",
    ),
    Category(
        201,
        300,
        "very_unhealthy",
        "Rất không tốt",
        "Very Unhealthy",
        "purple",
        (143, 63, 151),
        "Cảnh báo sức khỏe.",
        "Health alert.",
    ),
    Category(
        301,
        500,
        "hazardous",
        "Nguy hại",
        "Hazardous",
        "maroon",
        (126, 0, 35),
        "Cảnh báo khẩn cấp về sức khỏe.",
        "Health warning of emergency conditions.",
    ),
)

#: VN_WQI bands (Decision 1460): range, quality, colour, RGB and the use the water suits.
#: ⚠ Ranges, colours and uses follow the reference; the Vietnamese sentences are our wording.
WQI_BANDS: tuple[Category, ...] = (
    Category(
        91,
        100,
        "very_good",
        "Rất tốt",
        "Very good",
        "blue",
        (51, 51, 255),
        "Sử dụng tốt cho mục đích cấp nước sinh hoạt.",
        "Good for drinking water supply.",
    ),
    Category(
        76,
        90,
        "good",
        "Tốt",
        "Good",
        "green",
        (0, 228, 0),
        "Sử dụng cho mục đích cấp nước sinh hoạt nhưng cần các biện pháp xử lý phù hợp.",
        "Drinking water supply with suitable treatment.",
    ),
    Category(
        51,
        75,
        "medium",
        "Trung bình",
        "Medium",
        "yellow",
        (255, 255, 0),
        "Sử dụng cho mục đích tưới tiêu và các mục đích tương đương khác.",
        "Irrigation and similar uses.",
    ),
    Category(
        26,
        50,
        "poor",
        "Kém",
        "Poor",
        "orange",
        (255, 126, 0),
        "Sử dụng cho giao thông thủy và các mục đích tương đương khác.",
        "Navigation and similar uses.",
    ),
    Category(
        10,
        25,
        "heavily_polluted",
        "Ô nhiễm nặng",
        "Heavily polluted",
        "red",
        (255, 0, 0),
        "Nước ô nhiễm nặng, cần các biện pháp xử lý trong tương lai.",
        "Heavily polluted; treatment needed.",
    ),
    Category(
        0,
        9,
        "very_heavily_polluted",
        "Ô nhiễm rất nặng",
        "Very heavily polluted",
        "maroon",
        (126, 0, 35),
        "Nước nhiễm độc, cần có biện pháp khắc phục, xử lý.",
        "Toxic; remediation needed.",
    ),
)


#: Every index scale by its stored name (``sensor.index_categories.scale``, migration
#: 0009_contract, is filled from this mapping): the one declaration of categories.
SCALES: dict[str, tuple[Category, ...]] = {
    "vn_aqi": VN_AQI_CATEGORIES,
    "us_aqi": US_AQI_CATEGORIES,
    "vn_wqi": WQI_BANDS,
}
#: The scale of each AQI scheme (``sensor.aqi_hourly.scheme``).
AQI_SCALES: dict[str, str] = {"vn": "vn_aqi", "us": "us_aqi"}
#: The scale of each station kind's headline index (the map colours stations by it).
KIND_SCALES: dict[str, str] = {"air": "vn_aqi", "water": "vn_wqi"}


def _lookup(value: float | None, table: tuple[Category, ...]) -> Category | None:
    """The category whose integer range holds ``value`` (above the top: the top one)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value < 0:
        return None
    for cat in table:
        if cat.low <= value <= cat.high:
            return cat
    return max(table, key=lambda c: c.high) if value > max(c.high for c in table) else None


def aqi_category(aqi: float | None, scheme: str = "vn") -> Category | None:
    """Category of a rounded AQI in the ``vn`` or ``us`` scheme (None when no AQI)."""
    return _lookup(aqi, SCALES[AQI_SCALES[scheme]])


def wqi_band(wqi: float | None) -> Category | None:
    """Band of a rounded VN_WQI (None when no WQI)."""
    return _lookup(wqi, WQI_BANDS)


def category_of(value: float | None, scale: str) -> Category | None:
    """Category of a rounded index value on the named scale (None when no value)."""
    return _lookup(value, SCALES[scale])
