"""The coalesced change-log look-up: shared by waiting callers, never older than a caller."""

from __future__ import annotations

import asyncio

import pytest

from maps.coalesce import Coalesced


class Log:
    """A change log whose look-ups take a while and record when they began."""

    def __init__(self) -> None:
        self.version = 0
        self.began: list[int] = []

    async def look(self) -> int:
        self.began.append(self.version)
        seen = self.version  # the look-up's snapshot is taken when it begins
        await asyncio.sleep(0.02)
        return seen


def test_callers_arriving_together_share_one_run() -> None:
    async def main() -> list[int]:
        log = Log()
        look = Coalesced(log.look)
        got = await asyncio.gather(*(look() for _ in range(50)))
        assert look.runs == 1
        return got

    assert asyncio.run(main()) == [0] * 50


def test_a_caller_never_joins_a_run_that_began_before_it() -> None:
    async def main() -> None:
        log = Log()
        look = Coalesced(log.look)
        first = asyncio.create_task(look())
        await asyncio.sleep(0.005)  # the first run is under way, its snapshot taken
        log.version = 1  # a change committed now, before the next callers arrive
        late = await asyncio.gather(*(look() for _ in range(10)))
        assert await first == 0
        assert late == [1] * 10  # one later run for all ten, and it saw the change
        assert look.runs == 2 and log.began == [0, 1]

    asyncio.run(main())


def test_an_error_reaches_every_caller_of_the_run_and_the_next_run_is_fresh() -> None:
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("database went away")
        return calls

    async def main() -> None:
        look = Coalesced(failing)
        got = await asyncio.gather(*(look() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(g, ConnectionError) for g in got)
        assert await look() == 2

    asyncio.run(main())


def test_a_caller_that_goes_away_cancels_nothing_the_others_wait_on() -> None:
    async def main() -> None:
        log = Log()
        look = Coalesced(log.look)
        gone = asyncio.create_task(look())
        stays = asyncio.create_task(look())
        await asyncio.sleep(0.005)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert await stays == 0 and look.runs == 1

    asyncio.run(main())
