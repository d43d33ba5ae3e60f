"""The sensors → map contract: everything the map side (``layers``, ``maps``) reads of sensors.

- station states, their names and colours (:mod:`sensors.contract.states`);
- index categories — VN_AQI, US AQI, VN_WQI — with colours and both languages' names
  (declared in :mod:`sensors.indices.categories`, the index's own home; the database's
  ``sensor.index_categories`` is filled from it);
- the NOTIFY channels (:mod:`sensors.contract.channels`);
- the reads: AQI/WQI series, a parameter's series and the datastreams, the station status
  (:mod:`.series`, :mod:`.observations`, :mod:`.status`), each written once and run sync or
  async (:mod:`.reads`).
"""

from sensors.contract.channels import (
    ALERTS_CHANNEL,
    CHANNEL_SOURCES,
    CHANNELS,
    LAYERS_CHANNEL,
    STATIONS_CHANNEL,
)
from sensors.contract.observations import datastreams, observation_series
from sensors.contract.reads import Read, arun, run
from sensors.contract.series import Period, aqi_series, days, hours, wqi_series
from sensors.contract.states import STATES, STATION_STATES, StationState
from sensors.contract.status import station_status
from sensors.indices.categories import (
    AQI_SCALES,
    KIND_SCALES,
    SCALES,
    Category,
    category_of,
)

__all__ = [
    "ALERTS_CHANNEL",
    "AQI_SCALES",
    "CHANNELS",
    "CHANNEL_SOURCES",
    "KIND_SCALES",
    "LAYERS_CHANNEL",
    "SCALES",
    "STATES",
    "STATIONS_CHANNEL",
    "STATION_STATES",
    "Category",
    "Period",
    "Read",
    "StationState",
    "aqi_series",
    "arun",
    "category_of",
    "datastreams",
    "days",
    "hours",
    "observation_series",
    "run",
    "station_status",
    "wqi_series",
]
