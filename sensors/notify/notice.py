"""What one notification says, before it is addressed to anyone."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

#: Kinds a subscription may follow (the migration's CHECK lists the same).
KINDS = ("exceedance", "aqi", "offline", "device")
#: Phases of an episode: first notice, reminder while it lasts, a worse AQI category, its end.
PHASES = ("start", "reminder", "escalation", "end", "test")


@dataclass(frozen=True)
class Notice:
    """One event of an episode at one station (exceedance, AQI, offline/interrupted, device)."""

    kind: str
    phase: str
    station_id: int
    station_code: str
    station_name: str
    at: datetime
    station_kind: str = "air"
    episode_id: int | None = None
    parameter: str | None = None
    period: str | None = None
    value: float | None = None
    limit: float | None = None
    unit: str | None = None
    standard: str | None = None
    #: VN_AQI category rank (1 Tốt … 6 Nguy hại) of an AQI notice; 0 for other kinds.
    category: int = 0
    state: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The notice as JSON-ready values (the webhook body's ``event``)."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out

    def severe(self, category: int, ratio: float) -> bool:
        """Whether quiet hours must let it through: AQI at ``category`` or worse, or an
        exceedance of at least ``ratio`` times its limit."""
        if self.kind == "aqi":
            return self.category >= category
        if self.kind == "exceedance" and self.value is not None and self.limit:
            return self.value >= ratio * self.limit
        return False
