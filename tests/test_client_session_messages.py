"""ClientSession misuse gets aiohttp's message, and nothing else (issue 10 point 5).

Each case runs with aiohttp's ClientSession and with fasthttp's and compares the exception, and
checks that a constructor that fails leaves no second error behind (an "Exception ignored in
__del__" traceback on stderr, or an unclosed-session warning for a session that never opened).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import warnings
from typing import Any

import aiohttp as reference
import pytest
from client_servers import async_test

import fasthttp

CLIENTS = {"aiohttp": reference, "fasthttp": fasthttp}


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return type(exc).__name__, str(exc)
    return "ok", ""


def _sync_with(client: Any) -> None:
    with client.ClientSession():
        pass


@async_test()
async def test_sync_with_says_use_async_with() -> None:
    results = {}
    for name, client in CLIENTS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # both leave the session unclosed
            results[name] = _outcome(lambda: _sync_with(client))
        gc.collect()
    assert results["fasthttp"] == results["aiohttp"] == ("TypeError", "Use async with instead")


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 5}, {"timeout": 5.0, "base_url": "http://127.0.0.1/"}, {"base_url": "http://h/x"}],
    ids=["timeout-int", "timeout-float", "base_url"],
)
def test_failing_constructor_leaves_no_error_in_del(kwargs: dict[str, Any]) -> None:
    """ClientSession(timeout=5) raises its ValueError, and collecting the half-built object
    raises nothing more (it raised AttributeError in __del__ before) and warns nothing."""
    unraisable: list[Any] = []
    results = {}

    async def build(client: Any) -> tuple[str, str]:
        return _outcome(lambda: client.ClientSession(**kwargs))

    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        for name, client in CLIENTS.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                results[name] = asyncio.run(asyncio.wait_for(build(client), 10))
                gc.collect()
            assert [str(w.message) for w in caught if w.category is ResourceWarning] == [], name
    finally:
        sys.unraisablehook = old_hook
    assert [(u.exc_type, str(u.exc_value), u.object) for u in unraisable] == []
    assert results["fasthttp"][0] == results["aiohttp"][0] == "ValueError"
    if "timeout" in kwargs:
        assert results["fasthttp"] == results["aiohttp"]
