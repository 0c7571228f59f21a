"""Cookies as aiohttp's client handles them, checked against aiohttp.web on 127.0.0.1.

Every test runs the same exchange with aiohttp's own client and with fasthttp's, on the same
aiohttp.web server, and compares what the server received (the Cookie header) and what the
response showed (`resp.cookies`). Where aiohttp is wrong, the test says so and pins ours.
"""

from __future__ import annotations

import asyncio
from http.cookies import Morsel
from typing import Any, Optional

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server

import fasthttp

CLIENTS = (reference, fasthttp)


def _app() -> web.Application:
    async def set_cookies(request: web.Request) -> web.Response:
        response = web.Response(text="set")
        for field in request.query.getall("c", ()):
            response.headers.add("Set-Cookie", field)
        return response

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_cookies)
    app.router.add_get("/{tail:.*}", echo)
    return app


def _summary(cookies: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        name: (morsel.value, {key: value for key, value in morsel.items() if value})
        for name, morsel in cookies.items()
    }


async def _exchange(
    client: Any,
    base: str,
    batches: list[list[str]],
    path: str = "/echo",
    *,
    jar: Optional[dict[str, Any]] = None,
    **request: Any,
) -> tuple[list[dict[str, tuple[str, dict[str, Any]]]], str]:
    """Each batch of Set-Cookie fields in one response, then one request to path: what the
    responses showed in resp.cookies and the Cookie header the server got."""
    shown = []
    async with client.ClientSession(cookie_jar=client.CookieJar(**(jar or {}))) as session:
        for fields in batches:
            async with session.get(base + "/set", params=[("c", field) for field in fields]) as resp:
                await resp.read()
                shown.append(_summary(resp.cookies))
        async with session.get(base + path, **request) as resp:
            return shown, await resp.text()


async def _both(base: str, batches: list[list[str]], path: str = "/echo", **kwargs: Any) -> Any:
    """The same exchange with aiohttp's client and ours: (aiohttp's result, ours)."""
    results = []
    for client in CLIENTS:
        results.append(await asyncio.wait_for(_exchange(client, base, batches, path, **kwargs), 10))
    return results[0], results[1]


# --- deleting: Max-Age=0, Expires in the past ------------------------------------------------


@async_test()
async def test_max_age_zero_and_past_expires_delete_the_cookie() -> None:
    async with web_server(_app(), host="localhost") as base:
        for deleting in (
            "a=gone; Max-Age=0; Path=/",
            "a=gone; Max-Age=-1; Path=/",
            "a=gone; Expires=Sat, 01 Jan 2000 00:00:00 GMT; Path=/",
            # What aiohttp.web's del_cookie() sends.
            'a=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
        ):
            theirs, ours = await _both(base, [["a=1; Path=/", "keep=1; Path=/"], [deleting]])
            assert ours == theirs, deleting
            assert ours[1] == "keep=1", deleting


@async_test()
async def test_expires_at_the_epoch_deletes_the_cookie() -> None:
    # aiohttp reads 01 Jan 1970 00:00:00 as the timestamp 0, takes the 0 for "no date" and
    # keeps the cookie as a session cookie: a deletion that does not delete. We delete.
    async with web_server(_app(), host="localhost") as base:
        batches = [["b=1; Path=/"], ["b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"]]
        theirs, ours = await _both(base, batches)
        assert theirs[1] == "b=2"
        assert ours[1] == ""


@async_test()
async def test_huge_max_age_is_capped_not_raised() -> None:
    async with web_server(_app(), host="localhost") as base:
        for max_age in ("9" * 30, "9999999999", str(2**63), str(2**64 + 1)):
            batches = [[f"h=1; Max-Age={max_age}; Path=/"]]
            theirs, ours = await _both(base, batches)
            assert ours == theirs
            assert ours[1] == "h=1"


# --- parsing: quoted attribute values, names like attributes ---------------------------------


@async_test()
async def test_quoted_path_holding_a_semicolon_is_not_cut() -> None:
    async with web_server(_app(), host="localhost") as base:
        batches = [['q=1; Path="/echo;x"; HttpOnly']]
        for path, sent in (("/echo;x/y", "q=1"), ("/echo;x", "q=1"), ("/echo", "")):
            theirs, ours = await _both(base, batches, path)
            assert ours == theirs, path
            assert ours[0] == [{"q": ("1", {"path": "/echo;x", "httponly": True})}]
            assert ours[1] == sent, path


@async_test()
async def test_cookies_named_like_attributes_round_trip() -> None:
    names = ("path", "secure", "expires", "domain", "max-age", "version", "comment",
             "httponly", "samesite")
    fields = [f"{name}={i}; Path=/" for i, name in enumerate(names)]
    async with web_server(_app(), host="localhost") as base:
        theirs, ours = await _both(base, [fields])
        assert ours == theirs
        assert ours[0] == [{name: (str(i), {"path": "/"}) for i, name in enumerate(names)}]
        assert ours[1] == "; ".join(sorted(f"{name}={i}" for i, name in enumerate(names)))


@async_test()
async def test_cookies_named_like_attributes_in_cookies_argument() -> None:
    # aiohttp raises CookieError ("Attempt to set a reserved key 'path'") for these, though
    # the same names round-trip through Set-Cookie; we send them.
    async with web_server(_app(), host="localhost") as base:
        with pytest.raises(Exception, match="reserved key"):
            await _exchange(reference, base, [], cookies={"path": "r"})
        _, header = await _exchange(fasthttp, base, [], cookies={"path": "r", "Secure": "s"})
        assert header == "Secure=s; path=r"
        async with fasthttp.ClientSession(cookies={"path": "p", "max-age": "a b"}) as session:
            async with session.get(base + "/echo") as resp:
                assert await resp.text() == 'max-age="a b"; path=p'


# --- Secure over plain http -------------------------------------------------------------------


@async_test()
async def test_secure_cookies_over_plain_http_follow_aiohttp() -> None:
    batches = [["s=1; Secure; Path=/", "n=2; Path=/"]]
    async with web_server(_app(), host="localhost") as base:
        # Stored, but not sent over http, localhost included ...
        theirs, ours = await _both(base, batches)
        assert ours == theirs
        assert ours[1] == "n=2"
        # ... unless the origin is declared secure.
        theirs, ours = await _both(base, batches, jar={"treat_as_secure_origin": base})
        assert ours == theirs
        assert ours[1] == "n=2; s=1"
    async with web_server(_app(), host="127.0.0.1") as base:
        # An IP host: nothing stored without unsafe=True; with it, Secure still needs https.
        theirs, ours = await _both(base, batches)
        assert ours == theirs
        assert ours[1] == ""
        theirs, ours = await _both(base, batches, jar={"unsafe": True})
        assert ours == theirs
        assert ours[1] == "n=2"
        theirs, ours = await _both(
            base, batches, jar={"unsafe": True, "treat_as_secure_origin": [base]}
        )
        assert ours == theirs
        assert ours[1] == "n=2; s=1"


# --- per-request cookies= with the jar and a Cookie header -----------------------------------


@async_test()
async def test_request_cookies_merge_with_the_jar_in_aiohttp_order() -> None:
    jar_cookies = [["b=jar; Path=/", "a=jar; Path=/", "c=jar; Path=/echo"]]
    async with web_server(_app(), host="localhost") as base:
        # Same name: the request's value wins; one pair per name; sorted by name.
        theirs, ours = await _both(
            base, jar_cookies, cookies={"a": "req", "z": "req", "0": "req"}
        )
        assert ours == theirs
        assert ours[1] == "0=req; a=req; b=jar; c=jar; z=req"
        # A list with a name twice: the last one.
        theirs, ours = await _both(base, [], cookies=[("r", "1"), ("r", "2"), ("q", "x y")])
        assert ours == theirs
        assert ours[1] == 'q="x y"; r=2'
        # A Cookie header the caller set: merged, the jar and cookies= winning.
        theirs, ours = await _both(
            base, jar_cookies, cookies={"a": "req"}, headers={"Cookie": "b=hdr; y=hdr"}
        )
        assert ours == theirs
        assert ours[1] == "a=req; b=jar; c=jar; y=hdr"
        # Nothing to add: the caller's header goes as it is.
        theirs, ours = await _both(base, [], headers={"Cookie": "y=hdr; b=hdr"})
        assert ours == theirs
        assert ours[1] == "y=hdr; b=hdr"


@async_test()
async def test_request_cookie_morsels_are_filtered_like_jar_cookies() -> None:
    def morsel(name: str, value: str, **attrs: Any) -> Morsel[str]:
        item: Morsel[str] = Morsel()
        item.set(name, value, value)
        for key, attr in attrs.items():
            item[key] = attr
        return item

    cookies = {
        "root": morsel("root", "0", path="/"),
        "there": morsel("there", "2", path="/other"),
        "elsewhere": morsel("elsewhere", "5", domain="example.com"),
        "safe": morsel("safe", "3", secure=True),
        "gone": morsel("gone", "4", **{"max-age": "0"}),
    }
    async with web_server(_app(), host="localhost") as base:
        theirs, ours = await _both(base, [], cookies=cookies)
        assert ours == theirs
        assert ours[1] == "root=0"
        # A Path the request is within: aiohttp drops it (its jar looks up cookies without a
        # domain under the path "/" only); the path matches, so we send it.
        here = {"here": morsel("here", "1", path="/echo")}
        theirs, ours = await _both(base, [], cookies=here)
        assert theirs[1] == ""
        assert ours[1] == "here=1"
    async with web_server(_app(), host="127.0.0.1") as base:
        # Per-request cookies go to IP hosts too, the jar being unsafe or not.
        theirs, ours = await _both(base, [], cookies={"ip": "1"})
        assert ours == theirs
        assert ours[1] == "ip=1"
