"""Official indices: VN_AQI (Decision 1459), US EPA AQI (2024), VN_WQI (Decision 1460), limits."""

from sensors.indices.aqi import (
    AqiArrays,
    AqiValue,
    aqi_from_concentrations,
    daily_aqi,
    hourly_aqi,
    round_half_up,
    sub_index,
    vn_sub_index,
)
from sensors.indices.categories import Category, aqi_category, wqi_band
from sensors.indices.limits import air_limit, limit, water_limit
from sensors.indices.nowcast import nowcast, nowcast_series
from sensors.indices.wqi import WqiResult, compute_wqi

__all__ = [
    "AqiArrays",
    "AqiValue",
    "Category",
    "WqiResult",
    "air_limit",
    "aqi_category",
    "aqi_from_concentrations",
    "compute_wqi",
    "daily_aqi",
    "hourly_aqi",
    "limit",
    "nowcast",
    "nowcast_series",
    "round_half_up",
    "sub_index",
    "vn_sub_index",
    "water_limit",
    "wqi_band",
]
