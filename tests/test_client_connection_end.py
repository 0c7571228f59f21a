"""The client after a response that ends the connection (issue 9, item 15), on raw sockets.

A server that says `Connection: close` (or answers HTTP/1.0 without keep-alive) and then sends
more bytes on that connection (a second, unasked-for response, or garbage): the client keeps
the good response, reads nothing after it, and never reuses that connection. Before, the bytes
after it were parsed as a next response whose `keep-alive` put the connection back into the
pool, and the next request went to a connection the server had finished with.
"""

from __future__ import annotations

import asyncio

import pytest

import fasthttp as aiohttp
from client_servers import Conn, RawServer, assert_pool_clean, async_test, response

FIRST = {
    "connection_close": response(200, b"ok", {"Connection": "close"}),
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "close_chunked": (b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"2\r\nok\r\n0\r\n\r\n"),
}

AFTER = {
    "smuggled_response": response(200, b"evil"),
    "garbage": b"\x00\x01 not a response",
}


def server_with(first: bytes, after: bytes) -> RawServer:
    async def handler(conn: Conn) -> None:
        request = await conn.read_request()
        if request is None:
            return
        if conn.index == 0:
            await conn.send(first + after)  # one write: most likely one read on the client
            await asyncio.sleep(30)  # keep the connection open: never answer on it again
            return
        await conn.send(response(200, b"fresh"))  # any later connection: one clean answer

    return RawServer(handler)


@pytest.mark.parametrize("after", sorted(AFTER))
@pytest.mark.parametrize("first", sorted(FIRST))
@async_test(timeout=15)
async def test_response_that_ends_the_connection_is_kept_and_the_connection_is_not(
    first: str, after: str
) -> None:
    async with server_with(FIRST[first], AFTER[after]) as server:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(server.url("/a")) as resp:
                assert resp.status == 200
                assert await resp.read() == b"ok"
            async with session.get(server.url("/b")) as resp:
                assert await resp.read() == b"fresh"
            assert server.accepted == 2  # the first connection was not reused
            assert_pool_clean(session.connector)
