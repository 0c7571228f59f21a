"""The request command's httpie flags, driven as a subprocess against aiohttp.web on 127.0.0.1:
output selection (--print/-v/-h/-b/-m/-q, --pretty, a terminal through a pty: colours, the
binary notice), --offline, stdin, --version, auth (basic, bearer, digest against httpbin),
--session files, --download (names, resume, errors), TLS (--verify, --cert, TLS to a plain
port), --proxy and httpie's exit codes."""

from __future__ import annotations

import json
import ssl
import stat
import subprocess
import time
from typing import Any, Iterator

import pytest

from cli_echo import echo
from cli_helpers import PYTHON, REPO, ThreadLoop, cli_env, refused_port, run_cli, run_on_terminal, web_server
from cli_helpers import loop_thread  # noqa: F401 - the fixture, shared

web: Any = pytest.importorskip("aiohttp.web")

BLOB = bytes(range(256)) * 1200  # binary: holds NUL bytes
RANGES: Any = web.AppKey("ranges", list)
BLOB_PATH: Any = web.AppKey("blob_path", str)


async def blob(request: Any) -> Any:
    return web.Response(body=BLOB, content_type="application/octet-stream")


async def attachment(request: Any) -> Any:
    return web.Response(body=b"report body", content_type="text/plain",
                        headers={"Content-Disposition": 'attachment; filename="report.txt"'})


async def unsorted_json(request: Any) -> Any:
    return web.Response(text='{"b": 1, "a": [1, 2]}', content_type="application/json")


async def no_newline(request: Any) -> Any:
    return web.Response(text="no final newline", status=int(request.query.get("status", "200")))


async def set_cookie(request: Any) -> Any:
    response = web.json_response({"ok": True})
    response.set_cookie("sid", "abc123", path="/")
    return response


async def file_with_ranges(request: Any) -> Any:
    request.app[RANGES].append(request.headers.get("Range"))
    return web.FileResponse(request.app[BLOB_PATH])


async def status(request: Any) -> Any:
    return web.Response(status=int(request.match_info["code"]), text="status body\n")


def make_app(blob_path: str) -> Any:
    app = web.Application()
    app[RANGES] = []
    app[BLOB_PATH] = blob_path
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/blob", blob)
    app.router.add_get("/attachment", attachment)
    app.router.add_get("/json", unsorted_json)
    app.router.add_get("/no-newline", no_newline)
    app.router.add_get("/cookie", set_cookie)
    app.router.add_get("/file.bin", file_with_ranges)
    app.router.add_route("*", "/status/{code}", status)
    return app


@pytest.fixture(scope="module")
def app_and_base(loop_thread: ThreadLoop, tmp_path_factory: Any) -> Iterator[tuple[Any, str]]:
    path = tmp_path_factory.mktemp("served") / "file.bin"
    path.write_bytes(BLOB)
    app = make_app(str(path))
    with web_server(loop_thread, app) as url:
        yield app, url


@pytest.fixture(scope="module")
def base(app_and_base: tuple[Any, str]) -> str:
    return app_and_base[1]


def echoed(run: Any) -> dict[str, Any]:
    assert run.code == 0, run
    return dict(json.loads(run.out))


def one_error_line(run: Any, *needles: str) -> str:
    assert run.code != 0, run
    lines = run.err_lines
    assert len(lines) == 1 and lines[0].startswith("fasthttp: "), run
    for needle in needles:
        assert needle.lower() in lines[0].lower(), run
    return str(lines[0])


# --- output ------------------------------------------------------------------------------------


def test_version() -> None:
    import fasthttp

    run = run_cli("--version")
    assert run.code == 0, run
    assert run.out.decode().strip() == fasthttp.__version__


def test_print_selection(base: str) -> None:
    headers_only = run_cli("-h", f"{base}/json")
    assert headers_only.out.decode().startswith("HTTP/1.1 200 OK\n")
    assert b'"b": 1' not in headers_only.out
    assert run_cli("-b", f"{base}/json").out == b'{"b": 1, "a": [1, 2]}'
    both = run_cli("--print=hb", f"{base}/json").out.decode()
    assert both.startswith("HTTP/1.1 200 OK\n") and both.endswith('\n\n{"b": 1, "a": [1, 2]}')
    request_only = run_cli("-p", "H", f"{base}/echo", "X-A:1").out.decode()
    assert request_only.startswith("GET /echo HTTP/1.1\n") and "X-A: 1" in request_only
    assert "HTTP/1.1 200" not in request_only
    meta = run_cli("-p", "m", f"{base}/json").out.decode()
    assert meta.strip().startswith("Elapsed time: ") and meta.strip().endswith("s")
    very = run_cli("-vv", f"{base}/json").out.decode()
    assert "GET /json HTTP/1.1" in very and "HTTP/1.1 200 OK" in very and "Elapsed time:" in very
    quiet = run_cli("-q", f"{base}/json")
    assert quiet.code == 0 and quiet.out == b"" and quiet.err == ""


def test_pretty_off_a_terminal(base: str) -> None:
    formatted = run_cli("--pretty=format", f"{base}/json").out.decode()
    assert formatted == '{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}'
    coloured = run_cli("--pretty=colors", f"{base}/json").out.decode()
    assert "\x1b[" in coloured and '"b"' in coloured
    styled = run_cli("--pretty=all", "--style=monokai", f"{base}/json").out.decode()
    assert "\x1b[38;5;" in styled  # a 256-colour Pygments style
    bad = run_cli("--style=no-such-style", f"{base}/json")
    one_error_line(bad, "no-such-style")


def test_binary_body_off_a_terminal_is_written_as_is(base: str) -> None:
    assert run_cli(f"{base}/blob").out == BLOB
    assert b"binary data not shown" in run_cli("--pretty=all", f"{base}/blob").out


def on_a_terminal(*args: str, cwd: str = REPO) -> bytes:
    """Everything the command wrote with stdout and stderr on a pseudo-terminal; it must succeed."""
    code, output = run_on_terminal(*args, stderr_too=True, cwd=cwd, env=cli_env(TERM="xterm-256color"))
    assert code == 0, output
    return output.replace(b"\r\n", b"\n")


def test_terminal_gets_status_headers_and_a_coloured_formatted_body(base: str) -> None:
    out = on_a_terminal(f"{base}/json")
    plain = _strip_ansi(out).decode()
    assert plain.startswith("HTTP/1.1 200 OK\n")
    assert "Content-Type: application/json" in plain
    assert '{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}\n' in plain  # formatted
    assert b"\x1b[" in out  # coloured


def test_terminal_never_gets_binary_data(base: str) -> None:
    out = _strip_ansi(on_a_terminal(f"{base}/blob"))
    assert b"NOTE: binary data not shown in terminal" in out
    assert BLOB[:300] not in out and len(out) < 2000


def test_terminal_output_ends_on_a_fresh_line(base: str) -> None:
    out = _strip_ansi(on_a_terminal("-b", f"{base}/no-newline"))
    assert out == b"no final newline\n"


def test_output_file_from_a_terminal_gets_the_body_as_off_one(base: str, tmp_path: Any) -> None:
    target = tmp_path / "out.json"
    assert on_a_terminal("-o", str(target), f"{base}/json") == b""
    assert target.read_bytes() == b'{"b": 1, "a": [1, 2]}'  # no head, no colours, unformatted


def _strip_ansi(data: bytes) -> bytes:
    import re

    return re.sub(rb"\x1b\[[0-9;]*m", b"", data)


# --- building and sending ----------------------------------------------------------------------


def test_offline_sends_nothing(base: str) -> None:
    port = refused_port()  # nothing listens: --offline must not try
    run = run_cli("--offline", f"http://127.0.0.1:{port}/x", "a=1", "q==2", "X-T:y")
    assert run.code == 0, run
    text = run.out.decode()
    assert text.startswith("POST /x?q=2 HTTP/1.1\n")
    assert f"Host: 127.0.0.1:{port}" in text and "X-T: y" in text
    assert "Content-Type: application/json" in text
    assert text.rstrip().endswith('{"a": "1"}')
    with_auth = run_cli("--offline", "-a", "u:p", f"http://127.0.0.1:{port}/")
    assert "Authorization: Basic dTpw" in with_auth.out.decode().splitlines()
    one_error_line(run_cli("--offline", "-A", "digest", f"http://127.0.0.1:{port}/"), "--auth")


def test_piped_stdin_is_the_body(base: str) -> None:
    data = echoed(run_cli(f"{base}/echo", stdin=b"piped \x00 bytes"))
    assert data["method"] == "POST"
    import base64

    assert base64.b64decode(data["body_b64"]) == b"piped \x00 bytes"
    ignored = echoed(run_cli("--ignore-stdin", f"{base}/echo", stdin=b"not sent"))
    assert ignored["method"] == "GET" and ignored["body_b64"] == ""
    assert echoed(run_cli(f"{base}/echo", stdin=b""))["method"] == "GET"  # empty: no body


def test_silent_open_stdin_gets_a_hint_not_a_hang(base: str) -> None:
    proc = subprocess.Popen([PYTHON, "-m", "fasthttp", f"{base}/echo"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=cli_env())
    try:
        assert proc.stderr is not None and proc.stdin is not None
        line = proc.stderr.readline()  # the hint comes after 10 s of silence
        assert b"--ignore-stdin" in line, line
        proc.stdin.write(b"late body")
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    import base64

    assert base64.b64decode(json.loads(out)["body_b64"]) == b"late body"


def test_auth_basic_and_bearer(base: str) -> None:
    basic = echoed(run_cli("-a", "alice:s3cret", f"{base}/echo"))
    assert basic["headers"]["authorization"] == "Basic YWxpY2U6czNjcmV0"
    bearer = echoed(run_cli("-A", "bearer", "-a", "tok", f"{base}/echo"))
    assert bearer["headers"]["authorization"] == "Bearer tok"
    missing = run_cli("-a", "alice", f"{base}/echo")  # no password and no terminal to ask on
    one_error_line(missing, "password")


def test_auth_digest_against_httpbin(httpbin: Any) -> None:
    url = f"{httpbin.url}/digest-auth/auth/user/passwd"
    good = run_cli("-A", "digest", "-a", "user:passwd", url, "--check-status")
    assert good.code == 0, good
    assert json.loads(good.out) == {"authenticated": True, "user": "user"}
    bad = run_cli("-A", "digest", "-a", "user:wrong", url, "--check-status")
    assert bad.code == 4, bad


def test_session_keeps_cookies_auth_and_headers(base: str, tmp_path: Any) -> None:
    env = cli_env(FASTHTTP_CONFIG_DIR=str(tmp_path))
    first = run_cli("--session=work", "-a", "u:p", f"{base}/cookie", "X-Keep:kept", env=env)
    assert first.code == 0, first
    port = base.rsplit(":", 1)[1]
    path = tmp_path / "sessions" / f"127.0.0.1_{port}" / "work.json"
    stored = json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {"name": "X-Keep", "value": "kept"} in stored["headers"]
    assert stored["auth"] == {"type": "basic", "raw_auth": "u:p"}
    assert [(c["name"], c["value"]) for c in stored["cookies"]] == [("sid", "abc123")]
    second = echoed(run_cli("--session=work", f"{base}/echo", env=env))
    assert second["headers"]["cookie"] == "sid=abc123"
    assert second["headers"]["x-keep"] == "kept"
    assert second["headers"]["authorization"] == "Basic dTpw"
    read_only = run_cli("--session-read-only=work", f"{base}/echo", "X-New:1", env=env)
    assert json.loads(read_only.out)["headers"]["x-keep"] == "kept"
    assert "X-New" not in path.read_text()
    by_path = tmp_path / "explicit.json"
    assert run_cli(f"--session={by_path}", f"{base}/echo", "X-P:1", env=env).code == 0
    assert {"name": "X-P", "value": "1"} in json.loads(by_path.read_text())["headers"]


# --- downloads ---------------------------------------------------------------------------------


def test_download_names_the_file_from_the_response(base: str, tmp_path: Any) -> None:
    run = run_cli("--download", f"{base}/attachment", cwd=str(tmp_path))
    assert run.code == 0, run
    assert (tmp_path / "report.txt").read_bytes() == b"report body"
    again = run_cli("-d", f"{base}/attachment", cwd=str(tmp_path))
    assert again.code == 0, again
    assert (tmp_path / "report.txt-1").read_bytes() == b"report body"  # never overwrites
    from_url = run_cli("-d", f"{base}/blob", cwd=str(tmp_path))
    assert from_url.code == 0, from_url
    assert (tmp_path / "blob.bin").read_bytes() == BLOB


def test_download_on_a_terminal_shows_progress(base: str, tmp_path: Any) -> None:
    out = on_a_terminal("-d", f"{base}/blob", cwd=str(tmp_path)).decode()
    assert (tmp_path / "blob.bin").read_bytes() == BLOB
    assert "HTTP/1.1 200 OK" in out  # the response head goes to the terminal (stderr)
    size = f"{len(BLOB) / 1024:.1f} KiB"
    assert "[" + "#" * 30 + f"] {size}/{size} " in out
    assert "Done." in out and "blob.bin" in out
    assert "\x00\x01\x02" not in out  # the body went to the file only


def test_download_resumes_with_a_range_request(app_and_base: tuple[Any, str], tmp_path: Any) -> None:
    app, base = app_and_base
    target = tmp_path / "partial.bin"
    target.write_bytes(BLOB[:100_000])
    run = run_cli("-d", "-c", "-o", str(target), f"{base}/file.bin")
    assert run.code == 0, run
    assert app[RANGES][-1] == "bytes=100000-"
    assert target.read_bytes() == BLOB
    needs_output = run_cli("-d", "-c", f"{base}/file.bin")
    one_error_line(needs_output, "--continue")


def test_download_of_an_error_saves_nothing_and_exits_by_status(base: str, tmp_path: Any) -> None:
    target = tmp_path / "nothing.bin"
    run = run_cli("-d", "-o", str(target), f"{base}/status/404")
    assert run.code == 4, run
    assert not target.exists()


# --- exit codes and errors ---------------------------------------------------------------------


@pytest.mark.parametrize("code,expected", [(200, 0), (302, 3), (404, 4), (500, 5)])
def test_check_status_exit_codes(base: str, code: int, expected: int) -> None:
    assert run_cli(f"{base}/status/{code}").code == 0
    run = run_cli("--check-status", f"{base}/status/{code}")
    assert run.code == expected, run
    if expected:
        one_error_line(run, f"HTTP {code}")


def test_error_after_a_body_without_newline_starts_a_fresh_line(base: str) -> None:
    """stdout and stderr to one pipe (2>&1): the warning does not run into the body."""
    proc = subprocess.run([PYTHON, "-m", "fasthttp", "--check-status", "--pretty=format",
                           f"{base}/no-newline?status=404"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30, cwd=REPO, env=cli_env())
    assert proc.returncode == 4
    assert proc.stdout.decode().splitlines() == ["no final newline", "fasthttp: warning: HTTP 404 Not Found"]


def test_tls_to_a_plain_http_port_says_so(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    run = run_cli(f"https://127.0.0.1:{port}/echo", "--timeout", "10")
    assert run.code == 1, run
    one_error_line(run, "does not speak TLS", f"127.0.0.1:{port}")


# --- TLS options and proxies -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(loop_thread: ThreadLoop, tmp_path_factory: Any) -> Iterator[tuple[str, dict[str, str]]]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("client@example.test")
    folder = tmp_path_factory.mktemp("tls")
    paths = {"ca": str(folder / "ca.pem"), "client": str(folder / "client.pem"),
             "client_cert": str(folder / "client-cert.pem"), "client_key": str(folder / "client-key.pem")}
    ca.cert_pem.write_to_path(paths["ca"])
    client_cert.private_key_and_cert_chain_pem.write_to_path(paths["client"])
    client_cert.cert_chain_pems[0].write_to_path(paths["client_cert"])
    client_cert.private_key_pem.write_to_path(paths["client_key"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL

    async def peer(request: Any) -> Any:
        cert = request.transport.get_extra_info("peercert") or {}
        return web.json_response({"client": [v for rdn in cert.get("subjectAltName", ()) for v in rdn]})

    app = web.Application()
    app.router.add_get("/peer", peer)
    with web_server(loop_thread, app, ssl_context=context) as url:
        yield url, paths


def test_verify_yes_no_and_ca_bundle(tls: tuple[str, dict[str, str]]) -> None:
    url, paths = tls
    one_error_line(run_cli(f"{url}/peer"), "certificate")
    assert run_cli("--verify=no", f"{url}/peer").code == 0
    assert echoed(run_cli(f"--verify={paths['ca']}", f"{url}/peer")) == {"client": []}
    one_error_line(run_cli("--verify=/no/such/bundle.pem", f"{url}/peer"), "/no/such/bundle.pem")


def test_client_certificate(tls: tuple[str, dict[str, str]]) -> None:
    url, paths = tls
    combined = echoed(run_cli(f"--verify={paths['ca']}", f"--cert={paths['client']}", f"{url}/peer"))
    assert combined == {"client": ["email", "client@example.test"]}
    split = echoed(run_cli(f"--verify={paths['ca']}", f"--cert={paths['client_cert']}",
                           f"--cert-key={paths['client_key']}", f"{url}/peer"))
    assert split == combined


def test_proxy_option(base: str) -> None:
    """The echo server stands in for an HTTP proxy: it gets the absolute-form request."""
    proxy = base
    data = echoed(run_cli(f"--proxy=http:{proxy}", "http://target.invalid/echo", "q==1"))
    assert data["headers"]["host"] == "target.invalid"
    assert data["path"] == "/echo" and data["query"] == [["q", "1"]]
    one_error_line(run_cli("--proxy=nonsense", f"{base}/echo"), "--proxy")


def test_proxy_from_the_environment(base: str) -> None:
    """trust_env=True as httpie: HTTP_PROXY is used, or (until fasthttp takes proxies from the
    environment) refused in one line that names it; never silently bypassed."""
    run = run_cli("http://target.invalid/echo", env=cli_env(HTTP_PROXY=base, http_proxy=base, NO_PROXY=""))
    if run.code == 0:
        assert json.loads(run.out)["headers"]["host"] == "target.invalid"
    else:
        one_error_line(run, "trust_env")
