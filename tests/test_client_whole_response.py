"""A response whose head and whole body come in one read, and lazily built headers.

Such a response skips the body stream: read() returns the bytes as they came, `content` is made
only when asked for. Each test runs the same exchange twice, with the response sent in one
write ("whole") and in pieces a little apart ("pieces", the streaming path), and expects the
same outcome: the shortcut must not be visible. Headers are built on first access, so they are
also read after their connection has carried another exchange.
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any, Callable

import pytest

import fasthttp as aiohttp
from client_servers import Conn, RawServer, assert_pool_clean, async_test, idle_count, response
from fasthttp.streams import StreamReader

BODY = b"line one\nline two\nthe rest, no newline"


# How many answers the servers are done with: sent in full (their last byte handed to the
# kernel), or cut short by the client closing the connection.
answers_sent = [0]


def serve(answers: Callable[[Any], bytes], pieces: bool) -> Any:
    """A keep-alive handler sending answers(request) whole, or in pieces a little apart."""

    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            data = answers(request)
            if not pieces:
                await conn.send(data)
                answers_sent[0] += 1
                continue
            head_end = data.index(b"\r\n\r\n") + 4
            parts = [data[:head_end]] + [data[i : i + 7] for i in range(head_end, len(data), 7)]
            try:
                for part in parts:
                    await conn.send(part)
                    await asyncio.sleep(0.01)
            finally:  # (or the client, done with it, closed the connection)
                answers_sent[0] += 1

    return handler


MODES = pytest.mark.parametrize("pieces", [False, True], ids=["whole", "pieces"])


async def _get(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
    """The response once every piece of it has arrived (whatever the machine's load)."""
    before = answers_sent[0]
    resp = await session.get(url)
    for _ in range(1000):  # until the server has sent it all (bounded: 10 s)
        if answers_sent[0] > before:
            break
        await asyncio.sleep(0.01)
    assert answers_sent[0] > before, "the server did not finish its answer"
    # The last bytes are in the kernel: a loop turn that waits lets the client read them.
    await asyncio.sleep(0.01)
    return resp


@MODES
@async_test()
async def test_content_is_a_stream_at_its_end(pieces: bool) -> None:
    async with RawServer(serve(lambda r: response(200, BODY), pieces)) as server:
        async with aiohttp.ClientSession() as session:
            url = server.url()
            async with await _get(session, url) as resp:
                if not pieces:
                    assert resp._content is None  # the shortcut was taken: no stream yet
                content = resp.content
                assert isinstance(content, StreamReader)
                assert resp.content is content
                assert content.is_eof()
                assert not content.at_eof()
                assert await content.readline() == b"line one\n"
                assert await content.readexactly(4) == b"line"
                assert await content.read(5) == b" two\n"
                assert [c async for c in content.iter_chunked(4)] == [b"the ", b"rest", b", no", b" new", b"line"]
                assert content.at_eof()
                assert await content.read() == b""
                assert await content.readany() == b""
                assert await content.readline() == b""
                assert content.total_bytes == len(BODY)
            async with await _get(session, url) as resp:
                assert [line async for line in resp.content] == BODY.splitlines(keepends=True)
            async with await _get(session, url) as resp:
                assert b"".join([c async for c in resp.content.iter_any()]) == BODY
            async with await _get(session, url) as resp:
                assert await resp.content.readuntil(b",") == b"line one\nline two\nthe rest,"
                resp.content.unread_data(b"<>")
                assert await resp.content.read() == b"<> no newline"
            async with await _get(session, url) as resp:
                assert await resp.read() == BODY
                assert await resp.text() == BODY.decode()
                assert await resp.content.read() == b""  # read() took it all
                assert resp.content.at_eof()
            assert server.accepted == 1  # one connection, reused each time
            assert_pool_clean(session.connector)


@MODES
@async_test()
async def test_release_before_reading(pieces: bool) -> None:
    async with RawServer(serve(lambda r: response(200, BODY), pieces)) as server:
        async with aiohttp.ClientSession() as session:
            resp = await _get(session, server.url())
            resp.release()
            assert resp.closed
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
                await resp.read()
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
                await resp.content.read()
            # The body had all arrived: the connection went back to the pool either way.
            assert idle_count(session.connector) == 1
            resp = await _get(session, server.url())
            await resp.read()
            resp.release()
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
                await resp.read()  # as aiohttp: a released response's body is gone
            assert resp.content.at_eof()
            assert_pool_clean(session.connector)


@MODES
@async_test()
async def test_headers_read_after_the_connection_carried_another_exchange(pieces: bool) -> None:
    counter = iter(range(1, 100))

    def answer(request: Any) -> bytes:
        n = next(counter)
        return response(200, b"body %d" % n, {"X-Id": str(n), "x-lower": "v%d" % n})

    async with RawServer(serve(answer, pieces)) as server:
        async with aiohttp.ClientSession() as session:
            first = await _get(session, server.url())
            assert await first.read() == b"body 1"
            second = await _get(session, server.url())
            assert await second.read() == b"body 2"
            assert server.accepted == 1
            assert first.connection is None and second.connection is None
            headers = first.headers
            assert headers["X-Id"] == "1" and headers["X-LOWER"] == "v1"
            assert first.headers is headers  # one object across accesses
            assert (b"x-lower", b"v1") in first.raw_headers
            assert second.headers["x-id"] == "2"
            assert first.content_length == 6 and first.content_type == "text/plain"
            assert "X-Id" in repr(first)


@MODES
@pytest.mark.parametrize("name", ["Set-Cookie", "set-cookie", "SET-COOKIE"])
@async_test()
async def test_set_cookie_reaches_the_jar(pieces: bool, name: str) -> None:
    def answer(request: Any) -> bytes:
        if request.target == "/set":
            return response(200, b"ok", [(name, "a=1; Path=/"), (name, "b=2")])
        return response(200, (request.header("cookie") or "").encode())

    async with RawServer(serve(answer, pieces)) as server:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with await _get(session, server.url("/set")) as resp:
                assert sorted(resp.cookies) == ["a", "b"]
                assert resp.headers.getall("Set-Cookie") == ["a=1; Path=/", "b=2"]
            assert sorted(c.key for c in session.cookie_jar) == ["a", "b"]
            async with await _get(session, server.url("/echo")) as resp:
                assert await resp.read() == b"a=1; b=2"
                assert resp.cookies == {}


@MODES
@async_test()
async def test_gzip(pieces: bool) -> None:
    def answer(request: Any) -> bytes:
        if request.target == "/bad":
            return response(200, b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"})
        return response(200, gzip.compress(BODY), {"Content-Encoding": "gzip"})

    async with RawServer(serve(answer, pieces)) as server:
        async with aiohttp.ClientSession() as session:
            async with await _get(session, server.url()) as resp:
                assert await resp.read() == BODY
            async with await _get(session, server.url()) as resp:
                assert await resp.content.readline() == b"line one\n"
            async with await _get(session, server.url()) as resp:
                assert await resp.content.read() == BODY
            with pytest.raises(aiohttp.ClientPayloadError):
                async with await _get(session, server.url("/bad")) as resp:
                    await resp.read()
            assert_pool_clean(session.connector)
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with await _get(session, server.url()) as resp:
                assert gzip.decompress(await resp.read()) == BODY


@MODES
@async_test()
async def test_head_204_304_and_chunked(pieces: bool) -> None:
    def answer(request: Any) -> bytes:
        if request.target == "/204":
            return b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"
        if request.target == "/304":
            return b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
        if request.target == "/chunked":
            return (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
            )
        head = response(200, BODY)
        if request.method == "HEAD":
            return head[: head.index(b"\r\n\r\n") + 4]
        return head

    async with RawServer(serve(answer, pieces)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.head(server.url()) as resp:
                assert resp.content_length == len(BODY)
                assert await resp.read() == b""
                assert resp.content.at_eof()
            for path in ("/204", "/304"):
                async with await _get(session, server.url(path)) as resp:
                    assert await resp.read() == b""
                    assert resp.headers.get("X-A") == ("1" if path == "/204" else None)
            async with await _get(session, server.url("/chunked")) as resp:
                assert [c async for c in resp.content.iter_chunks()] == [(b"abcd", True), (b"efg", True)]
            async with await _get(session, server.url("/chunked")) as resp:
                assert await resp.read() == b"abcdefg"
            async with await _get(session, server.url()) as resp:
                assert await resp.read() == BODY
            assert server.accepted == 1
            assert_pool_clean(session.connector)


@async_test()
async def test_the_connection_is_pooled_before_the_body_is_read() -> None:
    async with RawServer(serve(lambda r: response(200, BODY), False)) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            assert resp.connection is None and resp.closed
            assert idle_count(session.connector) == 1
            assert await resp.read() == BODY


@async_test()
async def test_a_response_class_sees_its_wait_for_close() -> None:
    calls: list[str] = []

    class Mine(aiohttp.ClientResponse):
        async def wait_for_close(self) -> None:
            calls.append("wait_for_close")
            await super().wait_for_close()

    async with RawServer(serve(lambda r: response(200, BODY), False)) as server:
        async with aiohttp.ClientSession(response_class=Mine) as session:
            async with await session.get(server.url()) as resp:
                assert type(resp) is Mine
                assert await resp.read() == BODY
            assert calls == ["wait_for_close"]
            async with session.get(server.url()) as resp:
                assert await resp.read() == BODY
            assert calls == ["wait_for_close"] * 2
