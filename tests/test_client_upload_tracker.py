"""UploadTracker / upload_tracker= (aiohttp 3.14): attempts, bytes_written, upload_complete.

Every scenario runs with aiohttp's own client and tracker and with ours, against the same
aiohttp.web server, and expects the same observations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server

import fasthttp

CLIENTS = (reference, fasthttp)
BODY = b"0123456789abcdef" * 65536  # 1 MiB


def _app() -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        delay = float(request.query.get("delay", 0))
        await asyncio.sleep(delay)
        body = await request.read()
        return web.Response(text=str(len(body)))

    async def early(request: web.Request) -> web.Response:
        return web.Response(status=413, text="too big", headers={"Connection": "close"})

    async def moved(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=int(request.match_info["status"]), headers={"Location": "/"})

    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.router.add_route("*", "/", upload)
    app.router.add_post("/early", early)
    app.router.add_post("/moved/{status}", moved)
    return app


async def _source(pieces: int = 16, size: int = 65536) -> AsyncIterator[bytes]:
    for _ in range(pieces):
        yield b"s" * size
        await asyncio.sleep(0)


async def _observe(client: Any, base: str, path: str = "/", method: str = "POST", **kwargs: Any) -> tuple[Any, ...]:
    """(outcome, attempts, bytes_written, upload_complete's outcome) after the request."""
    tracker = client.UploadTracker()
    try:
        async with client.ClientSession() as session:
            async with session.request(method, base + path, upload_tracker=tracker, **kwargs) as resp:
                outcome: Any = (resp.status, await resp.text())
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        outcome = type(exc).__name__
    try:
        await asyncio.wait_for(tracker.upload_complete, 5)
        complete = "done"
    except Exception as exc:  # noqa: BLE001
        complete = type(exc).__name__
    return outcome, tracker.attempts, tracker.bytes_written, complete


async def _both(base: str, **kwargs: Any) -> tuple[Any, ...]:
    """_observe with both clients; a callable `data` makes a fresh body for each."""
    make = kwargs.pop("data") if callable(kwargs.get("data")) else None
    theirs = await _observe(reference, base, **kwargs, **({"data": make()} if make else {}))
    ours = await _observe(fasthttp, base, **kwargs, **({"data": make()} if make else {}))
    assert ours == theirs, (ours, theirs)
    return ours


@async_test(30)
async def test_a_bytes_body() -> None:
    async with web_server(_app()) as base:
        assert await _both(base, data=BODY) == ((200, str(len(BODY))), 1, len(BODY), "done")


@async_test(30)
async def test_a_small_bytes_body() -> None:
    async with web_server(_app()) as base:
        assert await _both(base, data=b"tiny") == ((200, "4"), 1, 4, "done")


@async_test(30)
async def test_a_streamed_body() -> None:
    async with web_server(_app()) as base:
        size = 16 * 65536
        assert await _both(base, data=_source) == ((200, str(size)), 1, size, "done")


@async_test(30)
async def test_no_body() -> None:
    async with web_server(_app()) as base:
        assert await _both(base, method="GET") == ((200, "0"), 1, 0, "done")


@async_test(30)
async def test_compressed_body_counts_the_body_not_the_wire() -> None:
    async with web_server(_app()) as base:
        outcome = await _both(base, data=BODY, compress="deflate")
        assert outcome[1:] == (1, len(BODY), "done")


@async_test(30)
async def test_expect_100_continue() -> None:
    async with web_server(_app()) as base:
        assert await _both(base, data=BODY, expect100=True) == ((200, str(len(BODY))), 1, len(BODY), "done")


@pytest.mark.parametrize("status, sent", [(307, len(BODY)), (303, 0)])
@async_test(30)
async def test_a_redirect_is_a_second_attempt(status: int, sent: int) -> None:
    # 307 sends the body again (counted afresh); 303 follows with a GET and no body.
    async with web_server(_app()) as base:
        outcome = await _both(base, path=f"/moved/{status}", data=BODY)
        assert outcome[1:] == (2, sent, "done")


@async_test(30)
async def test_a_middleware_retry_is_another_attempt() -> None:
    async def twice(request: Any, handler: Any) -> Any:
        first = await handler(request)
        first.release()
        return await handler(request)

    async with web_server(_app()) as base:
        assert await _both(base, data=b"again", middlewares=(twice,)) == ((200, "5"), 2, 5, "done")


@async_test(30)
async def test_connection_refused_is_an_aborted_upload() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    base = f"http://127.0.0.1:{port}"
    outcomes = [await _observe(client, base, data=BODY) for client in CLIENTS]
    assert outcomes[1] == outcomes[0] == ("ClientConnectorError", 1, 0, "UploadAbortedError")


@async_test(30)
async def test_a_refused_argument_still_settles_the_tracker() -> None:
    async with web_server(_app()) as base:
        outcome = await _both(base, data=b"a", json={"b": 1})
        assert outcome == ("ValueError", 0, 0, "UploadAbortedError")


@async_test(30)
async def test_an_early_answer_cuts_the_upload_short() -> None:
    # The server answers and closes before reading a body much larger than the socket
    # buffers: the body is not sent in full.
    # The answer is released (the connection closed by us) while the body is still going
    # out: cut short, so UploadAbortedError (aiohttp's writer could also meet the server's
    # close first, depending on timing, and report that).
    big = b"x" * (64 * 1024 * 1024)
    async with web_server(_app(), lingering_time=0) as base:
        for client in CLIENTS:
            outcome, attempts, written, complete = await _observe(client, base, path="/early", data=big)
            assert outcome == (413, "too big"), client.__name__
            assert attempts == 1, client.__name__
            assert 0 < written < len(big), (client.__name__, written)
            if client is fasthttp:
                assert complete == "UploadAbortedError", complete
            else:
                assert complete != "done", complete


@async_test(60)
async def test_bytes_written_follows_a_slow_reader() -> None:
    # The server starts reading after 2 s: meanwhile what was written sits in the socket
    # buffers and the transport's; bytes_written counts only what left the transport.
    big = b"y" * (48 * 1024 * 1024)
    async with web_server(_app()) as base:
        for client in CLIENTS:
            tracker = client.UploadTracker()
            async with client.ClientSession() as session:
                task = asyncio.ensure_future(
                    session.post(base + "/?delay=2", data=big, upload_tracker=tracker)
                )
                for _ in range(30):  # until the kernel has taken some (a busy machine)
                    await asyncio.sleep(0.05)
                    if tracker.bytes_written:
                        break
                early = tracker.bytes_written
                assert 0 < early < len(big), (client.__name__, early)
                assert not tracker.upload_complete.done()
                async with await task as resp:
                    assert await resp.text() == str(len(big))
                await asyncio.wait_for(tracker.upload_complete, 5)
                assert tracker.bytes_written == len(big)


@async_test(30)
async def test_a_tracker_observes_one_request() -> None:
    async with web_server(_app()) as base:
        for client in CLIENTS:
            tracker = client.UploadTracker()
            async with client.ClientSession() as session:
                async with session.post(base + "/", data=b"1", upload_tracker=tracker) as resp:
                    await resp.read()
                with pytest.raises(RuntimeError, match="UploadTracker is already bound to a request"):
                    await session.post(base + "/", data=b"2", upload_tracker=tracker)
            assert tracker.attempts == 1
            assert tracker.upload_complete.result() is None


def test_made_outside_a_running_loop() -> None:
    for client in CLIENTS:
        with pytest.raises(RuntimeError):
            client.UploadTracker()


def test_names_as_aiohttp() -> None:
    assert issubclass(fasthttp.UploadAbortedError, fasthttp.ClientError)
    public = {name for name in dir(reference.UploadTracker) if not name.startswith("_")}
    assert public <= set(dir(fasthttp.UploadTracker)), public - set(dir(fasthttp.UploadTracker))

    async def fresh() -> None:
        for client in CLIENTS:
            tracker = client.UploadTracker()
            assert (tracker.attempts, tracker.bytes_written, tracker.upload_complete.done()) == (0, 0, False)

    asyncio.run(fresh())
