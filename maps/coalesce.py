"""One look-up for every request waiting on it, each answered by a look-up that began after it
arrived (the change log: a tile must not predate a change committed before its request)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalesced(Generic[T]):
    """Runs ``look`` for the callers waiting now, one run at a time.

    A caller joins the next run that has not begun; a run already under way is never joined
    (it may have started before a change this caller must see). So under load one query serves
    every request that arrived while the previous one ran, instead of one query each behind a
    lock; alone, a caller waits for exactly one run, as before. The runs belong to a task of
    their own: a caller that goes away (a closed connection) cancels nothing the others wait on.
    """

    def __init__(self, look: Callable[[], Awaitable[T]]) -> None:
        self._look = look
        self._next: asyncio.Future[T] | None = None
        self._driver: asyncio.Task[None] | None = None
        #: Runs made (tests read it).
        self.runs = 0

    async def __call__(self) -> T:
        """The result of a run that began after this call."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._driver is None or self._driver.done():
                self._driver = asyncio.create_task(self._drive())
        return await asyncio.shield(self._next)

    async def _drive(self) -> None:
        while self._next is not None:
            waiting, self._next = self._next, None
            self.runs += 1
            try:
                result = await self._look()
            except asyncio.CancelledError:  # the app stops: nobody waits forever
                waiting.cancel()
                raise
            except Exception as exc:  # every caller of this run gets the error
                waiting.set_exception(exc)
            else:
                waiting.set_result(result)
