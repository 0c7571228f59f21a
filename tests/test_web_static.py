"""Static files: served from the directory, and nothing outside it, however the path is spelled."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

from fasthttp import web
from web_helpers import async_test, parse_responses, raw_exchange, serve

SECRET = b"TOP-SECRET-CONTENTS"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>index</h1>")
    (root / "sub" / "data.json").write_text('{"a": 1}')
    (root / "with space.txt").write_text("spaced")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    os.symlink(outside, root / "escape-dir")
    os.symlink(tmp_path / "secret.txt", root / "escape-file.txt")
    os.symlink(root / "index.html", root / "inside-link.html")  # stays inside: allowed
    return root


def static_app(root: Path, via_route_def: bool = False) -> web.Application:
    app = web.Application()
    if via_route_def:
        app.add_routes([web.static("/static", root)])
    else:
        app.router.add_static("/static/", root, name="static")
    return app


@pytest.mark.parametrize("via_route_def", [False, True])
@async_test()
async def test_serves_files(tree: Path, via_route_def: bool) -> None:
    async with serve(static_app(tree, via_route_def)) as srv, aiohttp.ClientSession() as s:
        async with s.get(srv.url("/static/index.html")) as r:
            assert (r.status, await r.text(), r.content_type) == (200, "<h1>index</h1>", "text/html")
        async with s.get(srv.url("/static/sub/data.json")) as r:
            assert (r.status, r.content_type, await r.json()) == (200, "application/json", {"a": 1})
        async with s.get(srv.url("/static/with%20space.txt")) as r:
            assert (r.status, await r.text()) == (200, "spaced")
        async with s.get(srv.url("/static/inside-link.html")) as r:
            assert r.status == 200
        for missing in ("/static/nope.txt", "/static/sub", "/static/", "/static/sub/"):
            async with s.get(srv.url(missing)) as r:
                assert r.status in (403, 404), missing


TRAVERSALS = [
    "/static/../secret.txt",
    "/static/../../secret.txt",
    "/static/sub/../../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/%2e%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/sub%2f..%2f..%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static/%252e%252e/secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/escape-dir/secret.txt",
    "/static/escape-file.txt",
    "/static/escape-dir%2fsecret.txt",
    "/static/index.html%00.txt",
    "/static/....//secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
@async_test()
async def test_no_path_traversal(tree: Path, target: str) -> None:
    async with serve(static_app(tree)) as srv:
        data = await raw_exchange(
            srv.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
    assert SECRET not in data
    assert b"root:" not in data
    [resp] = parse_responses(data)
    assert resp.status in (400, 403, 404), (target, resp.status)


@async_test()
async def test_traversal_through_clients(tree: Path) -> None:
    # Clients normalise dot segments themselves; encoded ones reach the server as sent.
    async with serve(static_app(tree)) as srv, aiohttp.ClientSession() as s:
        for path in ("/static/%2e%2e/secret.txt", "/static/escape-dir/secret.txt"):
            async with s.get(srv.url(path)) as r:
                assert r.status in (403, 404)
                assert SECRET not in await r.read()
