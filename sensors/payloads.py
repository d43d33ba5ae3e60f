"""Payload models of the two MQTT topic families (validated by pydantic-core, no I/O)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, TypeAdapter
from pydantic import ValidationError as _ValidationError

#: A finite JSON number (NaN, Infinity and numbers too large for a double are refused).
Number = StrictFloat | StrictInt
MAX_ITEMS = 10_000  # readings per message: a bound on the work one message can cause


class _Model(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, extra="ignore", frozen=True)


class SensorThingsObservation(_Model):
    """A SensorThings ``Observation`` posted to ``v1.1/Datastreams(<id>)/Observations``."""

    phenomenonTime: str  # SensorThings member name
    result: Number
    resultQuality: Any = None  # SensorThings member name


class Telemetry(_Model):
    """A station message on ``stations/<code>/telemetry``: one time, several properties."""

    ts: StrictInt | str  # epoch milliseconds or ISO 8601
    values: dict[str, Number]
    quality: str | None = None


_OBS = TypeAdapter(
    SensorThingsObservation
    | Annotated[list[SensorThingsObservation], Field(min_length=1, max_length=MAX_ITEMS)]
)
_TEL = TypeAdapter(
    Telemetry | Annotated[list[Telemetry], Field(min_length=1, max_length=MAX_ITEMS)]
)


class PayloadError(ValueError):
    """The payload is not valid JSON or does not have the shape of its topic."""


def _reason(exc: _ValidationError) -> str:
    errors = exc.errors(include_url=False)
    # The union reports each branch; the branch matching the JSON's shape explains best.
    best = errors[0]
    for err in errors:
        if err["type"] not in ("model_type", "list_type", "model_attributes_type"):
            best = err
            break
    where = ".".join(str(p) for p in best["loc"][1:] if p not in ("float", "int", "str"))
    if best["type"] == "json_invalid":
        return f"not valid JSON: {best['msg']}"
    return f"invalid payload at '{where or '$'}': {best['msg']}"


def parse_observations(payload: bytes) -> list[SensorThingsObservation]:
    """Observations of a SensorThings payload (one object or an array of them)."""
    try:
        parsed = _OBS.validate_json(payload)
    except _ValidationError as exc:
        raise PayloadError(_reason(exc)) from None
    return parsed if isinstance(parsed, list) else [parsed]


def parse_telemetry(payload: bytes) -> list[Telemetry]:
    """Records of a station telemetry payload (one object or an array of them)."""
    try:
        parsed = _TEL.validate_json(payload)
    except _ValidationError as exc:
        raise PayloadError(_reason(exc)) from None
    return parsed if isinstance(parsed, list) else [parsed]
