"""A request body whose SOURCE fails mid-body fails the request as in aiohttp 3.14.

aiohttp's ClientRequest.write_bytes(): an OSError from the payload becomes
`ClientOSError(errno, "Can not write request body for URL")`, any other exception (a
ClientConnectionError of the source's own included: an async generator raising it, another
response's .content cut short) `ClientConnectionError("Failed to send bytes into the underlying
connection ...")`, each with the source's error as __cause__; the connection, a body short,
is closed. fasthttp used to re-raise a source's ClientConnectionError inside its writer task
as if its own connection had gone: the request then waited for an answer that never came.
Each case runs on both libraries against the same aiohttp.web server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import aiohttp
import pytest
from aiohttp import web

import fasthttp
from client_servers import async_test, collect, idle_count, web_server

BOTH = pytest.mark.parametrize("lib", [aiohttp, fasthttp], ids=["aiohttp", "fasthttp"])


def _app(seen: list[str]) -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        try:
            await request.read()
        except Exception as exc:  # the client gave up mid-body
            seen.append(type(exc).__name__)
        return web.Response(text="read")

    async def cut(request: web.Request) -> web.StreamResponse:
        # 1000 bytes announced, 10 sent, then the connection goes.
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"0123456789")
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_post("/upload", upload)
    app.router.add_get("/cut", cut)
    return app


async def _failing(error: BaseException) -> AsyncIterator[bytes]:
    yield b"first part"
    await asyncio.sleep(0.02)
    raise error


async def _post(lib: Any, url: str, make_data: Any) -> tuple[BaseException, int]:
    """The error a POST whose body fails raises, and how many connections the pool kept."""
    async with lib.ClientSession() as session:
        with pytest.raises(lib.ClientError) as caught:
            async with session.post(url + "/upload", data=await make_data(session)) as resp:
                await resp.read()
        connector = session.connector
        kept = idle_count(connector) if lib is fasthttp else sum(map(len, connector._conns.values()))
    return caught.value, kept


@BOTH
@pytest.mark.parametrize("make_error", [
    lambda lib: lib.ClientConnectionError("the source's own connection went"),
    lambda lib: lib.ServerDisconnectedError(),
    lambda lib: lib.ClientPayloadError("the source was cut"),
    lambda lib: ValueError("not a connection error at all"),
], ids=["ClientConnectionError", "ServerDisconnectedError", "ClientPayloadError", "ValueError"])
@async_test()
async def test_a_failing_async_generator_fails_the_request(lib: Any, make_error: Any) -> None:
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: loop_errors.append(ctx))
    seen: list[str] = []
    source_error = make_error(lib)

    async def data(session: Any) -> Any:
        return _failing(source_error)

    async with web_server(_app(seen)) as url:
        error, kept = await _post(lib, url, data)
    assert type(error) is lib.ClientConnectionError
    assert str(error).startswith("Failed to send bytes into the underlying connection")
    assert repr(source_error) in str(error)
    assert error.__cause__ is source_error
    assert kept == 0
    assert seen == ["ConnectionResetError"]  # the server saw the connection closed mid-body
    collect()
    assert not loop_errors, loop_errors  # no task nor future left with an unretrieved error


@BOTH
@async_test()
async def test_an_oserror_from_the_source_is_a_client_os_error(lib: Any) -> None:
    seen: list[str] = []
    source_error = lib.ClientOSError(5, "input/output error")

    async def data(session: Any) -> Any:
        return _failing(source_error)

    async with web_server(_app(seen)) as url:
        error, kept = await _post(lib, url, data)
    assert type(error) is lib.ClientOSError
    assert (error.errno, error.strerror) == (5, f"Can not write request body for {url}/upload")
    assert error.__cause__ is source_error
    assert kept == 0


@BOTH
@async_test()
async def test_another_responses_content_cut_short_fails_the_request(lib: Any) -> None:
    seen: list[str] = []
    responses: list[Any] = []

    async def data(session: Any) -> Any:
        response = await session.get(url + "/cut")
        responses.append(response)
        return response.content

    async with web_server(_app(seen)) as url:
        error, kept = await _post(lib, url, data)
        responses[0].release()
    assert type(error) is lib.ClientConnectionError
    assert isinstance(error.__cause__, lib.ClientPayloadError)
    assert kept == 0
