"""--all (with -F/--follow): the intermediate requests and responses of a redirect chain printed
before the final ones, with -P/--history-print's letters; against aiohttp.web on 127.0.0.1."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from cli_helpers import ThreadLoop, run_cli, web_server

web: Any = pytest.importorskip("aiohttp.web")


async def hops(request: Any) -> Any:
    """/r/N answers 302 to /r/N-1 (with a body naming the hop); /r/0 is the end."""
    n = int(request.match_info["n"])
    if n == 0:
        return web.Response(text=f"final after {request.method}\n")
    raise web.HTTPFound(f"/r/{n - 1}", text=f"hop {n}\n")


async def keep_method(request: Any) -> Any:
    raise web.HTTPTemporaryRedirect("/r/0", text="307\n")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    tl = ThreadLoop()
    app = web.Application()
    app.router.add_route("*", "/r/{n}", hops)
    app.router.add_route("*", "/307", keep_method)
    try:
        with web_server(tl, app) as url:
            yield url
    finally:
        tl.close()


def output(*args: str) -> str:
    run = run_cli(*args)
    assert run.code == 0, run
    return run.out.decode()


def status_lines_and_bodies(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"HTTP/1.1 \d|hop |final|GET |POST ", line)]


def test_all_prints_each_redirect_then_the_final_answer(base: str) -> None:
    text = output("--all", "--follow", "-p", "hb", f"{base}/r/2")
    assert status_lines_and_bodies(text) == [
        "HTTP/1.1 302 Found", "hop 2", "HTTP/1.1 302 Found", "hop 1", "HTTP/1.1 200 OK", "final after GET"]
    assert "Location: /r/1" in text and "Location: /r/0" in text
    # Without --all, the final exchange alone.
    assert status_lines_and_bodies(output("--follow", "-p", "hb", f"{base}/r/2")) == [
        "HTTP/1.1 200 OK", "final after GET"]


def test_all_without_follow_has_nothing_intermediate(base: str) -> None:
    assert status_lines_and_bodies(output("--all", "-p", "hb", f"{base}/r/2")) == ["HTTP/1.1 302 Found", "hop 2"]


def test_history_print_chooses_what_intermediates_show(base: str) -> None:
    text = output("--all", "--follow", "-P", "H", "-p", "b", f"{base}/r/2")
    assert status_lines_and_bodies(text) == ["GET /r/2 HTTP/1.1", "GET /r/1 HTTP/1.1", "final after GET"]
    run = run_cli("--all", "--follow", "-P", "hz", f"{base}/r/1")
    assert run.code == 1 and run.err_lines == ["fasthttp: error: --history-print 'hz': unknown letters z (use HBhbm)"], run


def test_all_verbose_shows_where_the_body_went(base: str) -> None:
    # A 302 turns the POST into a body-less GET; a 307 sends the body again.
    text = output("--all", "--follow", "-v", "POST", f"{base}/r/1", "x=1")
    assert status_lines_and_bodies(text) == [
        "POST /r/1 HTTP/1.1", "HTTP/1.1 302 Found", "hop 1", "GET /r/0 HTTP/1.1", "HTTP/1.1 200 OK",
        "final after GET"]
    assert text.count('{"x": "1"}') == 1
    text = output("--all", "--follow", "-v", "POST", f"{base}/307", "x=1")
    assert status_lines_and_bodies(text) == [
        "POST /307 HTTP/1.1", "HTTP/1.1 307 Temporary Redirect", "POST /r/0 HTTP/1.1", "HTTP/1.1 200 OK",
        "final after POST"]
    assert text.count('{"x": "1"}') == 2


def test_final_request_after_a_302_is_printed_without_the_body(base: str) -> None:
    text = output("--follow", "-p", "HB", "POST", f"{base}/r/1", "x=1")
    assert text.startswith("GET /r/0 HTTP/1.1") and '{"x": "1"}' not in text


def test_all_exit_status_is_the_final_answers(base: str) -> None:
    run = run_cli("--all", "--follow", "--check-status", "-p", "h", f"{base}/r/1")
    assert run.code == 0, run
    run = run_cli("--all", "--check-status", "-p", "h", f"{base}/r/1")
    assert run.code == 3, run
    run = run_cli("--all", "--follow", "--max-redirects=1", f"{base}/r/3")
    assert run.code == 6 and "too many redirects" in run.err, run


def test_all_shows_the_digest_challenge(httpbin: Any) -> None:
    url = f"{httpbin.url}/digest-auth/auth/user/passwd"
    text = output("--all", "-p", "h", "-A", "digest", "-a", "user:passwd", url)
    assert [line for line in text.splitlines() if line.startswith("HTTP/")] == [
        "HTTP/1.1 401 UNAUTHORIZED", "HTTP/1.1 200 OK"]
    assert "WWW-Authenticate: Digest" in text
