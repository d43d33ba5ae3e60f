"""Property-based fuzzing of the whole API with schemathesis, in process, on the test database.

Every operation of the OpenAPI document at ``/api`` (but the endless ``/events`` stream) gets
generated requests, valid and invalid for its declared parameters: no answer may be a server
error or carry SQL/driver/trace text. Run once anonymously and once with a land official's key
(the role that reads personal data and writes the audit log).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from maps.app import create_app
from tests.fixtures.broker import Broker
from tests.fixtures.web import maps_settings

#: Examples per operation and run: ~40 operations × 2 runs in about 1.5 minutes here.
MAX_EXAMPLES = 50
LEAKS = re.compile(
    r"psycopg|Traceback|syntax error at or near|SQLSTATE|LINE \d+:|File \"/", re.IGNORECASE
)


def no_internal_text(ctx: Any, response: Any, case: Any) -> bool | None:
    """No SQL, driver or Python trace text in any answer."""
    found = LEAKS.search(response.content.decode("utf-8", "replace"))
    if found is not None:
        raise AssertionError(f"internal text {found.group(0)!r} in the answer")
    return None


class _AppProxy:
    """The ASGI app schemathesis calls: it forwards to the app made on the test database.

    The schema is loaded at collection time (parametrize needs it), before the test database
    exists; the fixture below then points this proxy at an app on that database.
    """

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Forward one ASGI call (lifespan or HTTP)."""
        if self.target is None:
            raise RuntimeError("the fuzz_app fixture has not set the app")
        await self.target(scope, receive, send)


APP = _AppProxy()
# The document only (nothing connects): explicit settings, so the cached app settings are not
# read before the test database exists.
_DOC = create_app(maps_settings("postgresql://postgres@127.0.0.1:5432/unused")).openapi()
schema = schemathesis.openapi.from_dict(_DOC).exclude(path="/events")
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def fuzz_app(
    database_url: str, web_data: None, demo_stations: object, mosquitto: Broker
) -> Iterator[None]:
    """The app on the test database and broker behind :data:`APP` (schemathesis starts it)."""
    mqtt_url = f"mqtt://127.0.0.1:{mosquitto.port}"
    APP.target = create_app(maps_settings(database_url, mqtt_url=mqtt_url))
    try:
        yield
    finally:
        shutdown_lifespans()  # close its pool before the test database is dropped
        APP.target = None


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@schema.parametrize()
@FUZZ
def test_no_server_error_anonymous(case: Any) -> None:
    """Anonymous (the wall): never a 5xx, never internal text."""
    case.call_and_validate(checks=[not_a_server_error, no_internal_text])


@schema.parametrize()
@FUZZ
def test_no_server_error_as_land(case: Any, role_keys: dict[str, str]) -> None:
    """A land official (personal data, audited): never a 5xx, never internal text."""
    case.call_and_validate(
        headers={"X-API-Key": role_keys["land"]}, checks=[not_a_server_error, no_internal_text]
    )
