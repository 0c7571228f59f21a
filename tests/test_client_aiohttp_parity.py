"""Behaviour that must match aiohttp's client, checked against aiohttp.web on 127.0.0.1.

Each test runs the same steps with aiohttp's own client and with fasthttp's on the same server
and compares the outcome (value, or exception class and message), or pins a fixed expectation
verified with aiohttp's client where running it would not be bounded. Where aiohttp is wrong,
the test says so and pins ours.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import fasthttp
from fasthttp import client_exceptions, http_exceptions

CLIENTS = (reference, fasthttp)
Outcome = tuple[str, Any]


async def _outcome(step: Awaitable[Any]) -> Outcome:
    """("ok", value) or (exception class name, message), with a deadline."""
    try:
        return "ok", await asyncio.wait_for(step, 10)
    except asyncio.TimeoutError:
        raise
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return type(exc).__name__, str(exc)


async def _same(
    base: str, scenario: Callable[[Any, Any, str], Awaitable[Any]]
) -> tuple[Outcome, Outcome]:
    """scenario(client module, session, base) with aiohttp's client, then ours."""
    results = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            results.append(await _outcome(scenario(client, session, base)))
    return results[0], results[1]


# --- resp.read() after the response was released ---------------------------------------------


def _bodies_app() -> web.Application:
    async def small(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 1_000_000)

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no such thing")

    app = web.Application()
    app.router.add_get("/small", small)
    app.router.add_get("/big", big)
    app.router.add_get("/missing", missing)
    return app


async def _read_release_read(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/small")
    await resp.read()
    resp.release()
    return await resp.read()


async def _release_read(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/small")
    await asyncio.sleep(0.05)  # the whole body has arrived, unread
    resp.release()
    return await resp.read()


async def _close_read(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/small")
    resp.close()
    return await resp.read()


async def _read_after_context(client: Any, session: Any, base: str) -> Any:
    async with session.get(base + "/small") as resp:
        await resp.read()
    return await resp.read()


async def _text_after_context(client: Any, session: Any, base: str) -> Any:
    async with session.get(base + "/small") as resp:
        await resp.read()
    return await resp.text()  # the kept body: no read() involved


async def _content_after_release(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/small")
    await asyncio.sleep(0.05)
    resp.release()
    return await resp.content.read()


async def _big_release_read(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/big")
    resp.release()
    return await resp.read()


async def _raise_for_status_in_context(client: Any, session: Any, base: str) -> Any:
    async with session.get(base + "/missing") as resp:
        try:
            resp.raise_for_status()
        except client.ClientResponseError:
            return await resp.text()  # still readable inside `async with`
    return None


async def _raise_for_status_outside(client: Any, session: Any, base: str) -> Any:
    resp = await session.get(base + "/missing")
    try:
        resp.raise_for_status()
    except client.ClientResponseError:
        return await resp.read()  # released by raise_for_status()
    return None


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (_read_release_read, ("ClientConnectionError", "Connection closed")),
        (_release_read, ("ClientConnectionError", "Connection closed")),
        (_close_read, ("ClientConnectionError", "Connection closed")),
        (_read_after_context, ("ClientConnectionError", "Connection closed")),
        (_text_after_context, ("ok", "hello")),
        (_content_after_release, ("ClientConnectionError", "Connection closed")),
        (_big_release_read, ("ClientConnectionError", "Connection closed")),
        (_raise_for_status_in_context, ("ok", "no such thing")),
        (_raise_for_status_outside, ("ClientConnectionError", "Connection closed")),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
@async_test()
async def test_read_after_release(scenario: Any, expected: Outcome) -> None:
    async with web_server(_bodies_app()) as base:
        theirs, ours = await _same(base, scenario)
    assert theirs == expected
    assert ours == expected


# --- reading a body after the session closed --------------------------------------------------


@async_test()
async def test_reading_a_body_after_the_session_closed_says_the_connection_closed() -> None:
    done = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 1_000_000
        await response.prepare(request)
        await response.write(b"x" * 1000)
        await asyncio.wait_for(done.wait(), 20)  # the rest never comes
        return response

    app = web.Application()
    app.router.add_get("/", slow)
    async with web_server(app) as base:
        try:
            await _read_after_session_close(base)
        finally:
            done.set()  # lets the handlers end, so the server's cleanup does not wait


async def _read_after_session_close(base: str) -> None:
    for how in ("read", "content", "iter"):
        session = fasthttp.ClientSession()
        resp = await session.get(base + "/")
        await session.close()
        with pytest.raises(fasthttp.ClientConnectionError) as caught:
            if how == "read":
                await asyncio.wait_for(resp.read(), 5)
            elif how == "content":
                await asyncio.wait_for(resp.content.read(), 5)
            else:
                async for _ in resp.content.iter_chunked(100):
                    pass
        assert str(caught.value) == "Connection closed", how
        assert not isinstance(caught.value, fasthttp.ClientPayloadError)
    # A read in progress when the session closes hears the same. (aiohttp's is not woken:
    # only the caller's deadline ends it.)
    session = fasthttp.ClientSession()
    resp = await session.get(base + "/")
    reading = asyncio.ensure_future(resp.read())
    await asyncio.sleep(0.05)
    await session.close()
    with pytest.raises(fasthttp.ClientConnectionError, match="^Connection closed$"):
        await asyncio.wait_for(reading, 5)
    # aiohttp, for the record: a RuntimeError "Connection closed." when the read starts after
    # the close.
    async with reference.ClientSession() as their_session:
        their_resp = await their_session.get(base + "/")
    with pytest.raises(RuntimeError, match="Connection closed"):
        await asyncio.wait_for(their_resp.read(), 5)


# --- a name that does not resolve ---------------------------------------------------------------


def _resolves_locally_as_missing(host: str) -> bool:
    """`.invalid` never resolves (RFC 6761); check that the resolver says so at once."""
    try:
        socket.getaddrinfo(host, 80)
    except socket.gaierror:
        return True
    return False


@async_test(timeout=30)
async def test_dns_failure_says_so() -> None:
    host = "no-such-host.invalid"
    if not await asyncio.wait_for(asyncio.to_thread(_resolves_locally_as_missing, host), 10):
        pytest.skip(f"the resolver here answers for {host}")
    outcomes = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            with pytest.raises(client.ClientConnectorDNSError) as caught:
                await asyncio.wait_for(session.get(f"http://{host}:8080/path"), 10)
        exc = caught.value
        assert isinstance(exc, client.ClientConnectorError)
        assert isinstance(exc, OSError)
        assert isinstance(exc.os_error, socket.gaierror)
        outcomes.append((type(exc).__name__, str(exc), exc.host, exc.port, exc.ssl))
    theirs, ours = outcomes
    assert ours == theirs
    assert ours[1].startswith(f"Cannot connect to host {host}:8080 ssl:default [")


@pytest.mark.parametrize("argument", [12, [1], None, b"http://127.0.0.1/"], ids=["int", "list", "None", "bytes"])
@async_test()
async def test_a_url_of_the_wrong_type_is_aiohttps_type_error(argument: Any) -> None:
    """Neither a str nor a URL: aiohttp's TypeError from yarl, never an AttributeError."""
    outcomes = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            outcomes.append(await _outcome(session.get(argument)))
            outcomes.append(await _outcome(session.post(argument)))
            outcomes.append(await _outcome(session.request("GET", argument)))
    theirs, ours = outcomes[:3], outcomes[3:]
    assert ours == theirs
    assert ours[0][0] == "TypeError"


# --- a 101 answer to a request that asked for no upgrade -----------------------------------------


@async_test()
async def test_101_without_an_upgrade_request_does_not_hang() -> None:
    # aiohttp 3.14 does not raise here: it hands out the 101 response, with an empty body.
    # We do the same, within the deadline, for every shape of 101 below; the connection is
    # not reused (the bytes after a 101 belong to another protocol).
    answers = [
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\nfoo-bytes",
        b"HTTP/1.1 101 Switching Protocols\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.0 101 Switching Protocols\r\n\r\n",
    ]
    requests = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = [
                int(line.split(b":")[1]) for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length:
                await reader.readexactly(length[0])
            writer.write(answers[requests % len(answers)])
            requests += 1
            await writer.drain()
            await reader.read()  # hold the connection open until the client closes it
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    try:
        for client in CLIENTS:
            requests = 0
            for _ in answers:
                for method, data in (("GET", None), ("POST", b"body")):
                    async with client.ClientSession() as session:
                        async def exchange() -> tuple[int, bytes]:
                            async with session.request(method, url, data=data) as resp:
                                return resp.status, await resp.read()

                        assert await asyncio.wait_for(exchange(), 5) == (101, b"")
    finally:
        server.close()
        await server.wait_closed()


# --- exceptions survive pickle ----------------------------------------------------------------


_KEY_FIELDS = ("host", "port", "is_ssl", "ssl", "server_hostname")


def _request_info(module: Any) -> Any:
    headers = CIMultiDictProxy(CIMultiDict({"Host": "example.com", "X-A": "1"}))
    url = URL("http://example.com/path?q=1")
    if module is reference:
        return reference.RequestInfo(url, "GET", headers, url)
    return client_exceptions.RequestInfo(url, "GET", headers, url)


def _connection_key(module: Any) -> Any:
    if module is reference:
        from aiohttp.client_reqrep import ConnectionKey

        return ConnectionKey("example.com", 443, True, True, None, None, None, None)
    return client_exceptions.ConnectionKey("example.com", 443, True, True, None)


def _instances(module: Any) -> dict[str, BaseException]:
    """One instance of every client exception both libraries have, built the same way."""
    m = module
    info = _request_info(m)
    key = _connection_key(m)
    response_headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/plain"}))
    response_error = {"status": 404, "message": "Not Found", "headers": response_headers}
    return {
        "ClientError": m.ClientError("a", 1),
        "ClientResponseError": m.ClientResponseError(info, (), **response_error),
        "ContentTypeError": m.ContentTypeError(info, (), **response_error),
        "WSServerHandshakeError": m.WSServerHandshakeError(info, (), **response_error),
        "ClientHttpProxyError": m.ClientHttpProxyError(info, (), **response_error),
        "TooManyRedirects": m.TooManyRedirects(info, (), **response_error),
        "ClientConnectionError": m.ClientConnectionError("Connection closed"),
        "ClientConnectionResetError": m.ClientConnectionResetError(104, "reset"),
        "ClientOSError": m.ClientOSError(111, "refused"),
        "ClientConnectorError": m.ClientConnectorError(key, ConnectionRefusedError(111, "refused")),
        "ClientConnectorDNSError": m.ClientConnectorDNSError(
            key, socket.gaierror(-2, "Name or service not known")
        ),
        "ClientProxyConnectionError": m.ClientProxyConnectionError(key, OSError(113, "no route")),
        "ClientSSLError": m.ClientSSLError(key, OSError(1, "tls")),
        "ClientConnectorSSLError": m.ClientConnectorSSLError(key, ssl.SSLError(1, "handshake")),
        "ClientConnectorCertificateError": m.ClientConnectorCertificateError(
            key, ssl.CertificateError("hostname mismatch")
        ),
        "ServerConnectionError": m.ServerConnectionError("gone"),
        "ServerDisconnectedError": m.ServerDisconnectedError("Server disconnected"),
        "ServerTimeoutError": m.ServerTimeoutError("slow"),
        "ConnectionTimeoutError": m.ConnectionTimeoutError("slow to connect"),
        "SocketTimeoutError": m.SocketTimeoutError("silent"),
        "ServerFingerprintMismatch": m.ServerFingerprintMismatch(b"a" * 32, b"b" * 32, "h", 443),
        "ClientPayloadError": m.ClientPayloadError("Response payload is not completed"),
        "UploadAbortedError": m.UploadAbortedError("The request body was not fully sent"),
        "InvalidURL": m.InvalidURL("http://[bad", "Invalid URL"),
        "InvalidUrlClientError": m.InvalidUrlClientError("ftp:x"),
        "RedirectClientError": m.RedirectClientError("redirect"),
        "NonHttpUrlClientError": m.NonHttpUrlClientError("ftp://x"),
        "InvalidUrlRedirectClientError": m.InvalidUrlRedirectClientError("http://[", "bad"),
        "NonHttpUrlRedirectClientError": m.NonHttpUrlRedirectClientError("ftp://x"),
    }


def _state(exc: BaseException) -> dict[str, Any]:
    """What a round trip must keep: class, args, message, repr and every public attribute."""
    state: dict[str, Any] = {"type": type(exc), "str": str(exc), "repr": repr(exc)}
    for name in ("status", "message", "history", "url", "description", "host", "port", "ssl",
                 "expected", "got", "errno", "strerror", "code", "limit", "events"):
        try:
            state[name] = getattr(exc, name)
        except AttributeError:
            pass
    headers = getattr(exc, "headers", None)
    state["headers"] = None if headers is None else (type(headers), list(headers.items()))
    info = getattr(exc, "request_info", None)
    if info is not None:
        state["request_info"] = (
            info.url, info.method, type(info.headers), list(info.headers.items()), info.real_url
        )
    os_error = getattr(exc, "os_error", None)
    if os_error is not None:
        state["os_error"] = (type(os_error), os_error.args)
    certificate_error = getattr(exc, "certificate_error", None)
    if certificate_error is not None:
        state["certificate_error"] = (type(certificate_error), certificate_error.args)
    args = []
    for arg in exc.args:
        if isinstance(arg, OSError):
            arg = (type(arg), arg.args)
        elif hasattr(arg, "headers") and hasattr(arg, "real_url"):
            arg = (arg.url, arg.method, list(arg.headers.items()))
        args.append(arg)
    state["args"] = args
    return state


def _round_trip(exc: BaseException) -> BaseException:
    copied = pickle.loads(pickle.dumps(exc))
    assert isinstance(copied, type(exc))
    return copied


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp's `code` property
@pytest.mark.parametrize("name", sorted(_instances(fasthttp)))
def test_client_exceptions_survive_pickle(name: str) -> None:
    assert hasattr(reference, name)
    ours = _instances(fasthttp)[name]
    theirs = _instances(reference)[name]
    assert _state(_round_trip(ours)) == _state(ours)
    # aiohttp's own round trip fails where an instance holds multidict proxies (a response's
    # headers, the request's headers); where it works, it keeps what ours keeps.
    try:
        their_copy = _round_trip(theirs)
    except TypeError as exc:
        assert "CIMultiDictProxy" in str(exc)
    else:
        assert _state(their_copy)["args"] == _state(theirs)["args"]
    # errno and strerror of a certificate error differ by design: ours are 0 and the
    # certificate error's text (what a caller printing strerror wants), aiohttp's the SSL
    # library's code (1, "Operation not permitted" on a mismatch).
    same = ("status", "message", "host", "port", "expected", "got")
    if name != "ClientConnectorCertificateError":
        same += ("errno", "strerror")
    for attr in same:
        if hasattr(theirs, attr):
            assert getattr(_round_trip(ours), attr) == getattr(theirs, attr), attr
    assert str(_round_trip(ours)) == str(ours)


@pytest.mark.parametrize(
    "exc",
    [
        http_exceptions.HttpProcessingError(code=500, message="boom", headers=CIMultiDict(a="1")),
        http_exceptions.HttpProcessingError(),
        http_exceptions.BadHttpMessage("bad message"),
        http_exceptions.HttpBadRequest("bad request", code=400),
        http_exceptions.BadStatusLine("bad status line"),
        http_exceptions.BadHttpMethod("bad method"),
        http_exceptions.LineTooLong("status line", 8190),
        http_exceptions.InvalidHeader("invalid header"),
        http_exceptions.PayloadEncodingError("bad payload"),
        http_exceptions.ContentEncodingError("bad encoding"),
        http_exceptions.TransferEncodingError("bad chunk"),
        http_exceptions.ContentLengthError("too short"),
        http_exceptions.DecompressSizeError("too big"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_http_exceptions_survive_pickle(exc: http_exceptions.HttpProcessingError) -> None:
    assert hasattr(reference.http_exceptions, type(exc).__name__)
    copied = _round_trip(exc)
    assert _state(copied) == _state(exc)
    assert copied.headers == exc.headers
    # The parser's `events` (what a feed produced before the error) are connection-local
    # state, not part of the error: they are not carried.
    exc.events = (object(),)
    assert _round_trip(exc).events == ()


@async_test()
async def test_raised_response_errors_survive_pickle() -> None:
    """Errors as the client raises them: headers are multidict proxies (aiohttp's own
    ClientResponseError fails to pickle here: "can't pickle CIMultiDictProxy")."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/missing")

    app = _bodies_app()
    app.router.add_get("/redirect", redirect)
    async with web_server(app) as base:
        async with reference.ClientSession() as session:
            async with session.get(base + "/missing") as resp:
                with pytest.raises(reference.ClientResponseError) as their_caught:
                    resp.raise_for_status()
        with pytest.raises(TypeError, match="CIMultiDictProxy"):
            pickle.dumps(their_caught.value)
        async with fasthttp.ClientSession() as session:
            for path in ("/missing", "/redirect"):
                async with session.get(base + path) as resp:
                    with pytest.raises(fasthttp.ClientResponseError) as caught:
                        resp.raise_for_status()
                exc = caught.value
                copied = _round_trip(exc)
                assert (copied.status, copied.message, str(copied)) == (
                    404, "Not Found", str(exc)
                )
                assert isinstance(copied.headers, CIMultiDictProxy)
                assert copied.headers == exc.headers
                assert copied.request_info == exc.request_info
                assert isinstance(copied.request_info.headers, CIMultiDictProxy)
                # The responses of the history hold connections and a loop: they are not
                # carried, so that the error itself can be.
                assert len(exc.history) == (1 if path == "/redirect" else 0)
                assert copied.history == ()
