"""DigestAuthMiddleware (RFC 7616) against a Digest server written here on aiohttp.web.

The server computes the expected response itself (hashlib, RFC 7616 §3.4.1) and records what
each request carried, so the tests see nonce counts, chosen qop and algorithm, and how many
requests a client sent. Where aiohttp's middleware supports the case, aiohttp's client runs
against the same server and gets the same status.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from typing import Any, Optional

import aiohttp as real_aiohttp
import pytest
from aiohttp import web

import fasthttp as aiohttp
from client_servers import assert_pool_clean, async_test, web_server

USER, PASSWORD, REALM = "Mufasa", "Circle of Life", "http-auth@example.org"
_PAIR = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _h(algorithm: str, data: str) -> str:
    name = algorithm.upper().removesuffix("-SESS")
    constructor = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}[name]
    return hashlib.new(constructor, data.encode()).hexdigest()


class DigestServer:
    """Challenges, verifies, records. `uses_per_nonce`: a nonce goes stale after that many."""

    def __init__(
        self, algorithms: tuple[str, ...] = ("MD5",), qop: Optional[str] = "auth",
        uses_per_nonce: Optional[int] = None, always_stale: bool = False,
    ) -> None:
        self.algorithms = algorithms
        self.qop = qop
        self.uses_per_nonce = uses_per_nonce
        self.always_stale = always_stale
        self.nonces: dict[str, int] = {}
        self.seen: list[dict[str, str]] = []  # one per request: its Authorization params ({} if none)

    def _challenge(self, stale: bool = False) -> web.Response:
        nonce = os.urandom(12).hex()
        self.nonces[nonce] = 0
        response = web.Response(status=401, text="who are you?")
        for algorithm in self.algorithms:
            value = f'Digest realm="{REALM}", nonce="{nonce}", opaque="op\\"aque", algorithm={algorithm}'
            if self.qop:
                value += f', qop="{self.qop}"'
            if stale:
                value += ", stale=true"
            response.headers.add("WWW-Authenticate", value)
        return response

    async def handler(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            self.seen.append({})
            return self._challenge()
        params = {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _PAIR.finditer(header[7:])}
        params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in params.items()}
        self.seen.append(params)
        nonce = params.get("nonce", "")
        if nonce not in self.nonces:
            return self._challenge()
        algorithm = params["algorithm"]
        if algorithm not in self.algorithms:
            return self._challenge()
        ha1 = _h(algorithm, f"{params['username']}:{params['realm']}:{PASSWORD}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = _h(algorithm, f"{ha1}:{nonce}:{params['cnonce']}")
        a2 = f"{request.method}:{params['uri']}"
        qop = params.get("qop")
        if qop == "auth-int":
            a2 += ":" + _h(algorithm, body.decode("latin-1"))
        ha2 = _h(algorithm, a2)
        if qop:
            expected = _h(algorithm, f"{ha1}:{nonce}:{params['nc']}:{params['cnonce']}:{qop}:{ha2}")
        else:
            expected = _h(algorithm, f"{ha1}:{nonce}:{ha2}")
        if params.get("response") != expected or params.get("opaque") != 'op"aque':
            return self._challenge()
        if params["uri"] != request.raw_path:
            return web.Response(status=400, text="uri differs from the request target")
        self.nonces[nonce] += 1
        if self.always_stale or (
            self.uses_per_nonce is not None and self.nonces[nonce] > self.uses_per_nonce
        ):
            return self._challenge(stale=True)
        return web.json_response({"nc": params.get("nc"), "qop": qop, "algorithm": algorithm, "body": body.decode()})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handler)
        return app


def _middleware(module: Any, password: str = PASSWORD) -> Any:
    return module.DigestAuthMiddleware(USER, password)


ALGORITHMS = ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"]


@pytest.mark.parametrize("qop", ["auth", "auth-int", None])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@async_test()
async def test_every_algorithm_and_qop_is_answered(algorithm: str, qop: Optional[str]) -> None:
    server = DigestServer(algorithms=(algorithm,), qop=qop)
    async with web_server(server.app()) as base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            async with session.post(base + "/dir/index.html?a=%2F", data=b"some body") as resp:
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
            assert_pool_clean(session.connector)
    assert answer == {"nc": "00000001" if qop else None, "qop": qop, "algorithm": algorithm, "body": "some body"}
    assert len(server.seen) == 2 and server.seen[0] == {}


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"])
@async_test()
async def test_same_answer_as_aiohttps_middleware(algorithm: str) -> None:
    statuses = []
    for module in (aiohttp, real_aiohttp):
        server = DigestServer(algorithms=(algorithm,), qop="auth")
        async with web_server(server.app()) as base:
            async with module.ClientSession(middlewares=(_middleware(module),)) as session:
                for _ in range(2):
                    async with session.get(base + "/x") as resp:
                        statuses.append(resp.status)
                        await resp.read()
        statuses.append([params.get("nc") for params in server.seen])
    ours, theirs = statuses[:3], statuses[3:]
    assert ours == theirs == [200, 200, [None, "00000001", "00000002"]]


@async_test()
async def test_nonce_count_increases_and_auth_int_is_preferred_for_in_memory_bodies() -> None:
    server = DigestServer(algorithms=("SHA-256",), qop="auth,auth-int")
    async with web_server(server.app()) as base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            for index in range(3):
                async with session.put(base + "/n", data=f"b{index}".encode()) as resp:
                    assert (await resp.json())["qop"] == "auth-int"
    assert [params.get("nc") for params in server.seen] == [None, "00000001", "00000002", "00000003"]
    assert len({params["cnonce"] for params in server.seen[1:]}) == 3


@async_test()
async def test_a_stale_nonce_is_answered_once_with_the_new_nonce() -> None:
    server = DigestServer(algorithms=("MD5",), qop="auth", uses_per_nonce=2)
    async with web_server(server.app()) as base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            for _ in range(3):
                async with session.get(base + "/s") as resp:
                    assert resp.status == 200
    ncs = [params.get("nc") for params in server.seen]
    # 401, two uses of the first nonce, a third refused as stale, then the new nonce from 1.
    assert ncs == [None, "00000001", "00000002", "00000003", "00000001"]
    assert server.seen[3]["nonce"] != server.seen[4]["nonce"]


@async_test()
async def test_a_server_that_always_says_stale_gets_no_loop() -> None:
    server = DigestServer(algorithms=("MD5",), qop="auth", always_stale=True)
    async with web_server(server.app()) as base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            async with session.get(base + "/loop") as resp:
                assert resp.status == 401
            assert_pool_clean(session.connector)
    assert len(server.seen) == 3  # the challenge, the answer, the one answer to "stale"


@pytest.mark.parametrize("module", [aiohttp, real_aiohttp], ids=["fasthttp", "aiohttp"])
@async_test()
async def test_wrong_credentials_return_the_401_after_one_try(module: Any) -> None:
    server = DigestServer(algorithms=("MD5",), qop="auth")
    async with web_server(server.app()) as base:
        async with module.ClientSession(middlewares=(_middleware(module, "wrong"),)) as session:
            async with session.get(base + "/w") as resp:
                assert resp.status == 401
    assert len(server.seen) == 2


@async_test()
async def test_the_first_supported_challenge_is_answered() -> None:
    server = DigestServer(algorithms=("SHA-512-256", "MD5"), qop="auth")
    async with web_server(server.app()) as base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            async with session.get(base + "/c") as resp:
                assert (await resp.json())["algorithm"] == "SHA-512-256"


@async_test()
async def test_credentials_stay_with_their_origin() -> None:
    server = DigestServer(algorithms=("MD5",), qop="auth")
    other_seen: list[Optional[str]] = []

    async def other(request: web.Request) -> web.Response:
        other_seen.append(request.headers.get("Authorization"))
        return web.Response(text="other")

    other_app = web.Application()
    other_app.router.add_get("/", other)
    async with web_server(server.app()) as base, web_server(other_app) as other_base:
        async with aiohttp.ClientSession(middlewares=(_middleware(aiohttp),)) as session:
            async with session.get(base + "/a") as resp:
                assert resp.status == 200
            async with session.get(other_base + "/") as resp:
                assert resp.status == 200
    assert other_seen == [None]


def test_bad_credentials_are_refused_as_aiohttp_refuses_them() -> None:
    for module in (aiohttp, real_aiohttp):
        with pytest.raises(ValueError):
            module.DigestAuthMiddleware("a:b", "p")
        with pytest.raises(ValueError):
            module.DigestAuthMiddleware(None, "p")  # type: ignore[arg-type]
