"""Awaiting a step of making a connection for at most some time, without losing what the step
still produces when its caller gives up (a connection made just as the caller was cancelled or
timed out is handed to `discard`, never dropped)."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, Optional, TypeVar

__all__ = ("Expired", "bounded", "keep")

_T = TypeVar("_T")


class Expired(Exception):
    """bounded's time ran out (not an OSError: a socket's own ETIMEDOUT stays apart)."""


async def bounded(
    coro: Coroutine[Any, Any, _T], timeout: Optional[float], discard: Callable[[_T], None]
) -> _T:
    """Await coro for at most `timeout` seconds (None: no limit); Expired when it runs out.

    Unlike asyncio.wait_for on Python 3.11, a cancellation of the caller is never swallowed,
    and whatever the abandoned coroutine still produces (a connection made just as the caller
    was cancelled or timed out) is given to `discard` instead of being dropped.
    """
    if timeout is None:
        return await coro  # no task in between: nothing can complete unseen
    if timeout <= 0:
        coro.close()
        raise Expired()
    task = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait((task,), timeout=timeout)
    except BaseException:
        _abandon(task, discard)
        raise
    if not done:
        _abandon(task, discard)
        raise Expired()
    return task.result()


def _abandon(task: "asyncio.Future[_T]", discard: Callable[[_T], None]) -> None:
    """Stop a task whose caller has gone; discard its result if it still produces one."""

    def settle(done: "asyncio.Future[_T]") -> None:
        if done.cancelled():
            return
        if done.exception() is None:  # (retrieving it also keeps asyncio from logging it)
            discard(done.result())

    task.cancel()
    if task.done():
        settle(task)
    else:
        task.add_done_callback(settle)


def keep(result: Any) -> None:
    """A `discard` for results that need no cleanup (a lookup's addresses)."""
