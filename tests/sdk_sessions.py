"""Driving a real SDK written for aiohttp once with aiohttp's session and once with fasthttp's.

An SDK test writes one scenario: `async def scenario(session) -> Any` that builds the SDK on
the session it is given and calls its public API against a fake server on 127.0.0.1. The
scenario records what the SDK returned and what it raised (`outcome`). `run_both` runs it
with each session; the test asserts the two records are equal and what they must be, so a
scenario that both clients fail alike still fails.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import aiohttp as real_aiohttp

import fasthttp

SESSION_CLASSES = {"aiohttp": real_aiohttp.ClientSession, "fasthttp": fasthttp.ClientSession}


async def outcome(awaitable: Awaitable[Any], describe: Callable[[BaseException], Any] = str) -> Any:
    """("ok", result) or ("raised", qualified class name of the exception, describe(exc)).

    The class is the SDK's own (a library error) or, where the SDK lets it through, aiohttp's
    (fasthttp's class of the same name is reported under aiohttp's name when it is one, so
    that the two runs compare)."""
    try:
        return ("ok", await awaitable)
    except Exception as exc:  # the scenario records it; the test compares it
        return ("raised", public_name(exc), describe(exc))


def public_name(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__.startswith("fasthttp."):
        aiohttp_class = next(
            (k for k in cls.__mro__ if k.__module__.startswith("aiohttp.")), None
        )
        assert aiohttp_class is not None, f"{cls} is not an aiohttp exception"
        assert aiohttp_class.__name__ == cls.__name__, (cls, aiohttp_class)
        cls = aiohttp_class
    return f"{cls.__module__.partition('.')[0]}.{cls.__name__}"


async def run_both(
    scenario: Callable[[Any], Awaitable[Any]], **session_kwargs: Any
) -> dict[str, Any]:
    """{"aiohttp": record, "fasthttp": record}: the scenario run once with each session."""
    records = {}
    for name, session_class in SESSION_CLASSES.items():
        async with session_class(**session_kwargs) as session:
            records[name] = await scenario(session)
    return records
