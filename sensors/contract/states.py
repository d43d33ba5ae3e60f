"""The station states: keys in order of the legend, names in both languages, colours."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StationState:
    """One state a station can be in, as the portals and our legends name it."""

    key: str
    name_vi: str
    name_en: str
    #: Our own colour (⚠ no standard gives colours for station states).
    colour: str


#: Every state, in legend order (sensor.station_states.state references ``sensor.states``,
#: which migration 0009_contract fills from this tuple).
STATION_STATES: tuple[StationState, ...] = (
    StationState("working", "Hoạt động", "Working", "#2e7d32"),
    StationState("trending", "Xu hướng vượt", "Trending to exceed", "#f9a825"),
    StationState("about_to_exceed", "Sắp vượt", "About to exceed", "#ef6c00"),
    StationState("exceeding", "Vượt ngưỡng", "Exceeding", "#c62828"),
    StationState("offline", "Mất kết nối", "Offline", "#757575"),
    StationState("calibrating", "Hiệu chuẩn", "Calibrating", "#1565c0"),
    StationState("device_fault", "Lỗi thiết bị", "Device fault", "#6a1b9a"),
)
STATES: tuple[str, ...] = tuple(s.key for s in STATION_STATES)

WORKING, TRENDING, ABOUT_TO_EXCEED, EXCEEDING, OFFLINE, CALIBRATING, DEVICE_FAULT = STATES
