"""`fasthttp [METHOD] URL [ITEM ...]` driven as a user would: a subprocess against local servers.

The behaviour peer is aiohttp.web (its own multipart parser checks what we send) running in a
background thread; raw asyncio servers stand in for a peer that never answers. Every run is
bounded by a subprocess timeout. Exit codes are httpie's: 0 ok, 1 error, 2 timeout, 3 an
unexpected 3xx, 4 HTTP 4xx and 5 HTTP 5xx (those three only with --check-status), 6 too many
redirects; failures print one line on stderr. The httpie-only flags are in test_cli_request_*.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import ssl
import subprocess
import time
from typing import Any, Iterator

import pytest

from cli_echo import echo, multipart
from cli_helpers import PYTHON, REPO, ThreadLoop, cli_env, raw_server, refused_port, run_cli, web_server
from cli_helpers import loop_thread  # noqa: F401 - the fixture, shared

aiohttp_web = pytest.importorskip("aiohttp.web")
web: Any = aiohttp_web

BLOB = hashlib.sha256(b"seed").digest() * (300 * 1024 // 32 + 7)  # ~300 KiB of non-text bytes


async def blob(request: Any) -> Any:
    return web.Response(body=BLOB, content_type="application/octet-stream")


async def chunked_blob(request: Any) -> Any:
    response = web.StreamResponse()
    response.content_type = "application/octet-stream"
    await response.prepare(request)
    for start in range(0, len(BLOB), 50_000):
        await response.write(BLOB[start:start + 50_000])
    await response.write_eof()
    return response


async def redirect(request: Any) -> Any:
    left = int(request.match_info["n"])
    target = "/echo?arrived=yes" if left <= 0 else f"/redirect/{left - 1}"
    raise web.HTTPFound(target)


async def status(request: Any) -> Any:
    code = int(request.match_info["code"])
    return web.Response(status=code, text=f"status {code} body\n")


async def text(request: Any) -> Any:
    return web.Response(text='{"b": 1,  "a": [1, 2]}', content_type="application/json")


def make_app() -> Any:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_post("/multipart", multipart)
    app.router.add_get("/blob", blob)
    app.router.add_get("/chunked-blob", chunked_blob)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_route("*", "/status/{code}", status)
    app.router.add_get("/json", text)
    return app


@pytest.fixture(scope="module")
def base(loop_thread: ThreadLoop) -> Iterator[str]:
    with web_server(loop_thread, make_app()) as url:
        yield url


def echoed(run: Any) -> dict[str, Any]:
    assert run.code == 0, run
    data = json.loads(run.out)
    data["body"] = base64.b64decode(data["body_b64"])
    return data


def assert_one_error_line(run: Any, *needles: str) -> str:
    """Failed, and stderr is exactly one line naming the problem."""
    assert run.code != 0, run
    lines = run.err_lines
    assert len(lines) == 1, run
    assert lines[0].startswith("fasthttp"), run
    assert "Traceback" not in run.err
    for needle in needles:
        assert needle.lower() in lines[0].lower(), run
    return lines[0]


# --- building requests -------------------------------------------------------------------------


def test_get_with_query_items(base: str) -> None:
    data = echoed(run_cli(f"{base}/echo", "q==hello world", "page==2", "q==again"))
    assert data["method"] == "GET"
    assert data["query"] == [["q", "hello world"], ["page", "2"], ["q", "again"]]
    assert data["body"] == b""


def test_explicit_method(base: str) -> None:
    assert echoed(run_cli("DELETE", f"{base}/echo"))["method"] == "DELETE"
    assert echoed(run_cli("put", f"{base}/echo", "--raw", "x"))["method"] == "PUT"  # any case
    assert echoed(run_cli("patch", f"{base}/echo"))["method"] == "PATCH"


def test_headers_from_option_and_items(base: str) -> None:
    data = echoed(run_cli("-H", "X-One: first", "-H", "X-Two:second", f"{base}/echo",
                          "X-Three:third value", "Accept:text/plain"))
    headers = data["headers"]
    assert headers["x-one"] == "first"
    assert headers["x-two"] == "second"
    assert headers["x-three"] == "third value"
    assert headers["accept"] == "text/plain"
    assert data["method"] == "GET"


def test_json_body_from_items(base: str) -> None:
    data = echoed(run_cli(f"{base}/echo", "name=alice", "age:=30", 'tags:=["a", "b"]',
                          "nested:={\"ok\": true}", "url=http://x.test/?a=b"))
    assert data["method"] == "POST"
    assert data["content_type"] == "application/json"
    assert json.loads(data["body"]) == {"name": "alice", "age": 30, "tags": ["a", "b"],
                                        "nested": {"ok": True}, "url": "http://x.test/?a=b"}


def test_json_flag_with_items(base: str) -> None:
    data = echoed(run_cli("--json", "PATCH", f"{base}/echo", "a=1", "b:=2"))
    assert data["method"] == "PATCH"
    assert data["content_type"] == "application/json"
    assert json.loads(data["body"]) == {"a": "1", "b": 2}


def test_json_flag_with_raw_data_sends_json_content_type(base: str) -> None:
    data = echoed(run_cli("--json", f"{base}/echo", "--raw", '{"raw": [1, 2]}'))
    assert data["method"] == "POST"
    assert data["body"] == b'{"raw": [1, 2]}'
    assert data["content_type"] == "application/json"
    assert "application/json" in data["headers"]["accept"]


def test_raw_data(base: str) -> None:
    data = echoed(run_cli(f"{base}/echo", "--raw", "hello=world&x=ü", "Content-Type:text/plain"))
    assert data["method"] == "POST"
    assert data["body"] == "hello=world&x=ü".encode()
    assert data["content_type"] == "text/plain"


def test_raw_data_from_file(base: str, tmp_path: Any) -> None:
    payload = bytes(range(256)) * 40 + b"\r\n\x00end"
    path = tmp_path / "body.bin"
    path.write_bytes(payload)
    data = echoed(run_cli("PUT", f"{base}/echo", f"@{path}"))
    assert data["method"] == "PUT"
    assert data["body"] == payload
    assert data["headers"]["content-length"] == str(len(payload))


def test_raw_data_from_missing_file(base: str, tmp_path: Any) -> None:
    run = run_cli(f"{base}/echo", f"@{tmp_path / 'nope.bin'}")
    assert run.code == 1, run
    assert_one_error_line(run, "nope.bin")


def test_multipart_fields_and_file(base: str, tmp_path: Any) -> None:
    payload = b"\x00\x01binary\r\n--not-a-boundary\r\n" + bytes(range(256)) * 20
    path = tmp_path / "photo.bin"
    path.write_bytes(payload)
    run = run_cli("--form", f"{base}/multipart", "title=hello world", f"file@{path}", "note=ü")
    assert run.code == 0, run
    data = json.loads(run.out)
    assert data["content_type"] == "multipart/form-data"
    parts = {part["name"]: part for part in data["parts"]}
    assert [part["name"] for part in data["parts"]] == ["title", "file", "note"]
    assert base64.b64decode(parts["title"]["data_b64"]) == b"hello world"
    assert parts["title"]["filename"] is None
    assert base64.b64decode(parts["note"]["data_b64"]) == "ü".encode()
    assert parts["file"]["filename"] == "photo.bin"
    assert parts["file"]["content_type"] == "application/octet-stream"
    assert base64.b64decode(parts["file"]["data_b64"]) == payload


def test_multipart_missing_file(base: str, tmp_path: Any) -> None:
    run = run_cli("-f", f"{base}/multipart", f"file@{tmp_path / 'absent.txt'}")
    assert run.code == 1, run
    assert_one_error_line(run, "absent.txt")


def test_localhost_shorthand(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    data = echoed(run_cli(f":{port}/echo", "x==1"))
    assert data["query"] == [["x", "1"]]


# --- responses ---------------------------------------------------------------------------------


def test_body_to_stdout_is_raw_bytes_when_not_a_tty(base: str) -> None:
    run = run_cli(f"{base}/json")
    assert run.code == 0, run
    assert run.out == b'{"b": 1,  "a": [1, 2]}'  # not re-indented off a terminal
    assert run.err == ""
    run = run_cli(f"{base}/blob", timeout=30)
    assert run.code == 0, run
    assert run.out == BLOB


@pytest.mark.parametrize("path", ["/blob", "/chunked-blob"])
def test_output_file_exact_bytes(base: str, tmp_path: Any, path: str) -> None:
    target = tmp_path / "download.bin"
    run = run_cli(f"{base}{path}", "-o", str(target))
    assert run.code == 0, run
    assert target.read_bytes() == BLOB
    assert run.out == b""
    assert run.err == ""  # no progress bar off a terminal unless asked


def test_output_file_progress_bar(base: str, tmp_path: Any) -> None:
    target = tmp_path / "download.bin"
    run = run_cli(f"{base}/blob", "-d", "-o", str(target), env=cli_env(FASTHTTP_PROGRESS="1"))
    assert run.code == 0, run
    assert target.read_bytes() == BLOB
    assert run.out == b""
    final = run.err.split("\r")[-1]
    assert final.endswith("\n")
    assert "[" + "#" * 30 + "]" in final  # the full bar
    size = f"{len(BLOB) / 1024:.1f} KiB"
    assert f"] {size}/{size} " in final  # bytes done / total
    assert "/s ETA" in final  # rate and ETA


def test_output_file_progress_without_length(base: str, tmp_path: Any) -> None:
    target = tmp_path / "download.bin"
    run = run_cli(f"{base}/chunked-blob", "--download", "-o", str(target),
                  env=cli_env(FASTHTTP_PROGRESS="1"))
    assert run.code == 0, run
    assert target.read_bytes() == BLOB
    final = run.err.split("\r")[-1]
    assert "KiB" in final and "/s" in final


def test_output_file_unwritable(base: str, tmp_path: Any) -> None:
    run = run_cli(f"{base}/blob", "-o", str(tmp_path / "no-such-dir" / "file.bin"))
    assert run.code == 1, run
    assert_one_error_line(run)


def test_verbose_shows_both_heads(base: str) -> None:
    """-v: the request, a blank line, the response, all on stdout as httpie prints them."""
    run = run_cli("-v", f"{base}/echo", "a==1", "X-Test:yes")
    assert run.code == 0, run
    assert run.err == ""
    text = run.out.decode()
    lines = text.splitlines()
    assert lines[0] == "GET /echo?a=1 HTTP/1.1"
    assert "X-Test: yes" in lines
    assert any(line.lower().startswith("host: 127.0.0.1:") for line in lines)
    assert "HTTP/1.1 200 OK" in lines
    assert any(line.lower() == "content-type: application/json; charset=utf-8" for line in lines)
    assert lines.index("GET /echo?a=1 HTTP/1.1") < lines.index("HTTP/1.1 200 OK")
    body = text.split("HTTP/1.1 200 OK", 1)[1].split("\n\n", 1)[1]
    assert json.loads(body)["path"] == "/echo"


def test_redirects_not_followed_by_default(base: str) -> None:
    run = run_cli(f"{base}/redirect/3", "-h")
    assert run.code == 0, run  # httpie: a 3xx is not an error unless --check-status
    assert run.out.decode().startswith("HTTP/1.1 302 Found\n")
    assert "location: /redirect/2" in run.out.decode().lower()
    run = run_cli(f"{base}/redirect/3", "--check-status")
    assert run.code == 3, run
    assert_one_error_line(run, "302")


def test_redirects_followed(base: str) -> None:
    data = echoed(run_cli("--follow", f"{base}/redirect/3"))
    assert data["path"] == "/echo"
    assert data["query"] == [["arrived", "yes"]]
    run = run_cli("-F", "-v", f"{base}/redirect/1")
    assert "GET /echo?arrived=yes HTTP/1.1" in run.out.decode().splitlines()


def test_too_many_redirects(base: str) -> None:
    run = run_cli(f"{base}/redirect/5", "--follow", "--max-redirects", "2")
    assert run.code == 6, run
    assert_one_error_line(run, "redirect")


@pytest.mark.parametrize("code,exit_code,reason", [(404, 4, "Not Found"), (418, 4, "I'm a Teapot"),
                                                   (500, 5, "Internal Server Error"),
                                                   (503, 5, "Service Unavailable")])
def test_http_errors(base: str, code: int, exit_code: int, reason: str) -> None:
    run = run_cli(f"{base}/status/{code}")
    assert run.code == 0, run  # httpie: only --check-status makes an HTTP error an exit status
    assert run.err == ""
    assert run.out == f"status {code} body\n".encode()
    run = run_cli(f"{base}/status/{code}", "--check-status")
    assert run.code == exit_code, run
    line = assert_one_error_line(run, str(code))
    assert reason.lower() in line.lower()
    assert run.out == f"status {code} body\n".encode()  # the error body is still shown


def test_http_error_with_output_file(base: str, tmp_path: Any) -> None:
    target = tmp_path / "error.txt"
    run = run_cli(f"{base}/status/404", "-o", str(target), "--check-status")
    assert run.code == 4, run
    assert target.read_bytes() == b"status 404 body\n"


def test_success_statuses_exit_zero(base: str) -> None:
    for code in (201, 204):
        run = run_cli(f"{base}/status/{code}")
        assert run.code == 0, run
        assert run.err == ""


# --- failures ----------------------------------------------------------------------------------


def test_timeout_against_silent_server(loop_thread: ThreadLoop) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(60)  # never answers

    with raw_server(loop_thread, silent) as port:
        started = time.monotonic()
        run = run_cli(f"http://127.0.0.1:{port}/slow", "--timeout", "0.5", timeout=20)
        elapsed = time.monotonic() - started
    assert run.code == 2, run
    assert_one_error_line(run, "timed out", "0.5")
    assert elapsed < 10


def test_connection_refused() -> None:
    port = refused_port()
    run = run_cli(f"http://127.0.0.1:{port}/")
    assert run.code == 1, run
    assert_one_error_line(run, f"127.0.0.1:{port}", "refused")


def test_unresolvable_host() -> None:
    run = run_cli("http://no-such-host.invalid/", "--timeout", "10", timeout=30)
    assert run.code == 1, run
    assert_one_error_line(run, "no-such-host.invalid")


def test_server_closes_without_answer(loop_thread: ThreadLoop) -> None:
    async def rude(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    with raw_server(loop_thread, rude) as port:
        run = run_cli(f"http://127.0.0.1:{port}/")
    assert run.code == 1, run
    assert_one_error_line(run)


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_base(loop_thread: ThreadLoop) -> Iterator[str]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    with web_server(loop_thread, make_app(), ssl_context=context) as url:
        yield url


def test_insecure_accepts_self_signed(tls_base: str) -> None:
    data = echoed(run_cli("--insecure", f"{tls_base}/echo", "x==1"))
    assert data["query"] == [["x", "1"]]


def test_self_signed_rejected_without_insecure(tls_base: str) -> None:
    run = run_cli(f"{tls_base}/echo")
    assert run.code == 1, run
    assert_one_error_line(run, "certificate")


# --- bad arguments -----------------------------------------------------------------------------


def test_no_arguments() -> None:
    run = run_cli()
    assert run.code != 0, run
    assert run.err_lines[-1] == "fasthttp: error: a URL is required (or: fasthttp bench)"
    assert sum("error" in line for line in run.err_lines) == 1
    assert run.out == b""


def test_method_but_no_url() -> None:
    run = run_cli("POST")
    assert run.code == 1, run
    assert_one_error_line(run, "URL is required after POST")


def test_options_but_no_url() -> None:
    run = run_cli("-v")
    assert run.code != 0, run
    assert run.err_lines[-1].startswith("fasthttp: error:")
    assert sum("error" in line for line in run.err_lines) == 1
    assert "Traceback" not in run.err


@pytest.mark.parametrize("args,needle", [
    (["http://127.0.0.1:1/", "justaword"], "justaword"),
    (["http://127.0.0.1:1/", "n:=not json"], "not valid json"),
    (["-H", "NoColon", "http://127.0.0.1:1/"], "NoColon"),
    (["http://127.0.0.1:1/", "a=1", "--raw", "raw"], "cannot be mixed"),
    (["http://127.0.0.1:1/", "f@pyproject.toml"], "--form"),
    (["-f", "http://127.0.0.1:1/", "a:=1"], "--form"),
    (["--print", "Hx", "http://127.0.0.1:1/"], "Hx"),
])
def test_bad_items(args: list[str], needle: str) -> None:
    run = run_cli(*args)
    assert run.code == 1, run
    assert_one_error_line(run, needle)


@pytest.mark.parametrize("args", [["--timeout", "soon", "http://127.0.0.1:1/"],
                                  ["--no-such-option", "http://127.0.0.1:1/"]])
def test_bad_options(args: list[str]) -> None:
    run = run_cli(*args)
    assert run.code != 0, run
    assert run.err_lines[-1].startswith("fasthttp: error:")
    assert sum("error" in line for line in run.err_lines) == 1


def test_invalid_url() -> None:
    run = run_cli("http://")
    assert run.code == 1, run
    assert_one_error_line(run)


def test_console_entry_point_matches_module() -> None:
    """`python -m fasthttp --help` works and names both modes."""
    run = run_cli("--help")
    assert run.code == 0, run
    assert b"bench" in run.out and b"URL" in run.out


def test_console_script_entry_point(base: str) -> None:
    """The `fasthttp` console script declared in pyproject.toml runs, as its wrapper would."""
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        target = tomllib.load(handle)["project"]["scripts"]["fasthttp"]
    module, _, func = target.partition(":")
    code = (f"import sys; from {module} import {func} as entry; "
            f"sys.argv = ['fasthttp', {base + '/echo'!r}, 'k==v']; raise SystemExit(entry())")
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, timeout=30, env=cli_env(), cwd=REPO)
    assert proc.returncode == 0, proc
    assert json.loads(proc.stdout)["query"] == [["k", "v"]]


def test_readme_next_step_puts_the_command_on_path() -> None:
    """README, after the two set-up commands: its first shell line (activating .venv) makes
    `fasthttp` a command, as written (run when the suite runs from the venv those commands make)."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    step = block.splitlines()[0].split("#", 1)[0].strip()
    assert step == "source .venv/bin/activate"
    if not os.path.exists(os.path.join(REPO, ".venv", "bin", "fasthttp")):
        pytest.skip("no .venv here: the set-up commands were not run in this checkout")
    env = {k: v for k, v in cli_env().items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"  # fasthttp is not on PATH before the step
    before = subprocess.run(["bash", "-c", "command -v fasthttp"], capture_output=True, env=env, timeout=30)
    assert before.returncode != 0
    proc = subprocess.run(["bash", "-c", f"{step} && fasthttp --version"], capture_output=True,
                          env=env, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc
    import fasthttp

    assert proc.stdout.decode().strip() == fasthttp.__version__
