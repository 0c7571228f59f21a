"""FileResponse and static files as aiohttp.web serves them: validators, conditional requests,
ranges, precompressed siblings, directory indexes and symlink rules (issue 12).

Each case runs the same request against fasthttp.web and aiohttp.web serving the same file on
127.0.0.1 and compares what matters (status, validators, Content-Range, body), through raw
sockets so that nothing a client does hides a difference. Where fasthttp differs on purpose
(several ranges, If-Range holding a tag, another range unit) the test says what each does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import email.utils
import gzip
import os
import shutil
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, parse_responses, raw_exchange

SIZE = 10_000
DATA = bytes((i * 7 + i // 256) % 256 for i in range(SIZE))


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "data.bin").write_bytes(DATA)
    (root / "page.html").write_text("<p>hi</p>")
    (root / "app.js").write_text("console.log('plain');" * 20)
    (root / "app.js.gz").write_bytes(gzip.compress(b"console.log('plain');" * 20))
    (root / "archive.tar.gz").write_bytes(gzip.compress(b"tar"))
    (root / "sub" / "b.txt").write_text("b")
    (root / "sub" / "a & <c>.txt").write_text("a")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside")
    os.symlink(outside, root / "linked-out")
    os.mkfifo(root / "fifo")
    stamp = 1_700_000_000.25  # a fraction: Last-Modified rounds it up
    for path in root.rglob("*"):
        if not path.is_symlink() and path.name != "fifo":
            os.utime(path, (stamp, stamp))
    return root


def _apps(root: Path, **static_kwargs: Any) -> list[Any]:
    """The same routes on both servers: a FileResponse route and a static prefix."""
    built = []
    for mod in (web, aioweb):
        async def file_handler(request: Any, mod: Any = mod) -> Any:
            return mod.FileResponse(root / request.match_info["name"])

        app = mod.Application()
        app.router.add_get("/file/{name}", file_handler)
        app.router.add_route("POST", "/file/{name}", file_handler)
        app.router.add_static("/static", root, **static_kwargs)
        built.append((mod, app))
    return built


@contextlib.asynccontextmanager
async def _servers(root: Path, **static_kwargs: Any) -> AsyncIterator[dict[str, int]]:
    runners = []
    ports = {}
    try:
        for mod, app in _apps(root, **static_kwargs):
            runner = mod.AppRunner(app) if mod is web else mod.AppRunner(app, access_log=None)
            await runner.setup()
            site = mod.TCPSite(runner, HOST, 0)
            await site.start()
            runners.append(runner)
            ports["fasthttp" if mod is web else "aiohttp"] = runner.addresses[0][1]
        yield ports
    finally:
        for runner in runners:
            await asyncio.wait_for(runner.cleanup(), 10)


async def _ask(port: int, target: str, headers: dict[str, str] | None = None, method: str = "GET") -> Any:
    head = f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    data = await raw_exchange(port, (head + "\r\n").encode("latin-1"))
    [response] = parse_responses(data, head_request=method == "HEAD")
    return response


async def _both(ports: dict[str, int], target: str, headers: dict[str, str] | None = None,
                method: str = "GET") -> tuple[Any, Any]:
    ours = await _ask(ports["fasthttp"], target, headers, method)
    theirs = await _ask(ports["aiohttp"], target, headers, method)
    return ours, theirs


def _h(response: Any, name: str) -> str | None:
    values = [value for key, value in response.headers if key.lower() == name.lower()]
    assert len(values) <= 1, (name, values)
    return values[0] if values else None


def _etag(root: Path, name: str = "data.bin") -> str:
    st = (root / name).stat()
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def _last_modified(root: Path) -> str:
    return _h_date(1_700_000_001)


def _h_date(stamp: float) -> str:
    return email.utils.formatdate(stamp, usegmt=True)


# --- validators -------------------------------------------------------------------------------

@async_test()
async def test_validators_as_aiohttp(files: Path) -> None:
    async with _servers(files) as ports:
        for target in ("/file/data.bin", "/static/data.bin"):
            ours, theirs = await _both(ports, target)
            assert ours.status == theirs.status == 200
            assert ours.body == theirs.body == DATA
            for name in ("ETag", "Last-Modified", "Accept-Ranges", "Content-Length", "Content-Type"):
                assert _h(ours, name) == _h(theirs, name), name
            assert _h(ours, "ETag") == _etag(files)
            assert _h(ours, "Last-Modified") == _last_modified(files)  # rounded up


@async_test()
async def test_head_has_the_validators_and_no_body(files: Path) -> None:
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/data.bin", method="HEAD")
        assert ours.status == theirs.status == 200
        assert ours.body == theirs.body == b""
        assert _h(ours, "Content-Length") == _h(theirs, "Content-Length") == str(SIZE)
        assert _h(ours, "ETag") == _h(theirs, "ETag")


# --- conditional requests ---------------------------------------------------------------------

def _conditions(root: Path) -> list[tuple[str, dict[str, str], int]]:
    tag = _etag(root)
    modified = _last_modified(root)
    before = _h_date(1_600_000_000)
    after = _h_date(1_800_000_000)
    return [
        ("inm-match", {"If-None-Match": tag}, 304),
        ("inm-weak-match", {"If-None-Match": "W/" + tag}, 304),
        ("inm-list", {"If-None-Match": f'"x", {tag}'}, 304),
        ("inm-other", {"If-None-Match": '"other"'}, 200),
        ("inm-any", {"If-None-Match": "*"}, 304),
        ("ims-same", {"If-Modified-Since": modified}, 304),
        ("ims-later", {"If-Modified-Since": after}, 304),
        ("ims-earlier", {"If-Modified-Since": before}, 200),
        ("ims-garbage", {"If-Modified-Since": "yesterday"}, 200),
        ("im-match", {"If-Match": tag}, 200),
        ("im-other", {"If-Match": '"other"'}, 412),
        ("im-weak", {"If-Match": "W/" + tag}, 412),
        ("im-any", {"If-Match": "*"}, 200),
        ("ius-earlier", {"If-Unmodified-Since": before}, 412),
        ("ius-same", {"If-Unmodified-Since": modified}, 200),
        ("im-beats-ius", {"If-Match": tag, "If-Unmodified-Since": before}, 200),
        ("im-first", {"If-Match": '"other"', "If-None-Match": tag}, 412),
        ("inm-beats-ims", {"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
    ]


@async_test(timeout=40)
async def test_conditional_requests_as_aiohttp(files: Path) -> None:
    async with _servers(files) as ports:
        for name, headers, expected in _conditions(files):
            for target in ("/file/data.bin", "/static/data.bin"):
                ours, theirs = await _both(ports, target, headers)
                assert (ours.status, theirs.status) == (expected, expected), (name, target)
                if expected == 304:
                    assert ours.body == b""
                    assert _h(ours, "ETag") == _h(theirs, "ETag") == _etag(files)
                    assert _h(ours, "Last-Modified") == _h(theirs, "Last-Modified")
                elif expected == 200:
                    assert ours.body == DATA


@async_test()
async def test_if_none_match_on_post_is_412(files: Path) -> None:
    # RFC 9110 13.1.2: a matching If-None-Match on a method other than GET/HEAD is 412.
    # (aiohttp answers 304 there.)
    async with _servers(files) as ports:
        ours = await _ask(ports["fasthttp"], "/file/data.bin", {"If-None-Match": "*"}, "POST")
        assert ours.status == 412


# --- ranges -----------------------------------------------------------------------------------

SINGLE_RANGES = [
    ("bytes=0-9", 206, (0, 9)),
    ("bytes=100-199", 206, (100, 199)),
    ("bytes=-5", 206, (SIZE - 5, SIZE - 1)),
    (f"bytes=-{SIZE * 2}", 206, (0, SIZE - 1)),
    ("bytes=9990-", 206, (9990, SIZE - 1)),
    ("bytes=9000-20000", 206, (9000, SIZE - 1)),
    ("bytes=0-", 206, (0, SIZE - 1)),
    ("BYTES=1-2", 206, (1, 2)),
    (f"bytes={SIZE}-", 416, None),
    (f"bytes={SIZE}-{SIZE + 5}", 416, None),
    ("bytes=abc", 416, None),
    ("bytes=5-1", 416, None),
    ("bytes=-", 416, None),
    ("bytes=1-2-3", 416, None),
]


@pytest.mark.parametrize("header,status,span", SINGLE_RANGES, ids=[r[0] for r in SINGLE_RANGES])
@async_test()
async def test_single_range_as_aiohttp(files: Path, header: str, status: int, span: Any) -> None:
    async with _servers(files) as ports:
        for target in ("/file/data.bin", "/static/data.bin"):
            ours, theirs = await _both(ports, target, {"Range": header})
            assert (ours.status, theirs.status) == (status, status), target
            assert _h(ours, "Content-Range") == _h(theirs, "Content-Range")
            if span is None:
                assert _h(ours, "Content-Range") == f"bytes */{SIZE}"
                assert ours.body == b""
            else:
                first, last = span
                assert _h(ours, "Content-Range") == f"bytes {first}-{last}/{SIZE}"
                assert ours.body == theirs.body == DATA[first : last + 1]
                assert _h(ours, "Content-Length") == str(last + 1 - first)


def _byteranges(response: Any) -> list[tuple[str, bytes]]:
    ctype = _h(response, "Content-Type")
    assert ctype is not None and ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    body = response.body
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    parts = []
    for chunk in body[: -len(b"\r\n--" + boundary + b"--\r\n")].split(b"--" + boundary + b"\r\n")[1:]:
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        lines = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        assert lines[b"Content-Type"] == b"application/octet-stream"
        parts.append((lines[b"Content-Range"].decode(), data))
    return parts


@async_test()
async def test_several_ranges_are_multipart_byteranges(files: Path) -> None:
    # Deliberate difference: aiohttp answers several ranges with 416.
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/data.bin", {"Range": "bytes=0-1, 100-104,-3"})
        assert theirs.status == 416
        assert ours.status == 206
        assert int(_h(ours, "Content-Length") or 0) == len(ours.body)
        assert _byteranges(ours) == [
            (f"bytes 0-1/{SIZE}", DATA[0:2]),
            (f"bytes 100-104/{SIZE}", DATA[100:105]),
            (f"bytes {SIZE - 3}-{SIZE - 1}/{SIZE}", DATA[-3:]),
        ]


@async_test()
async def test_overlapping_ranges_are_merged(files: Path) -> None:
    # A client cannot make the server repeat bytes: overlapping and adjacent ranges become one.
    async with _servers(files) as ports:
        ours = await _ask(ports["fasthttp"], "/static/data.bin", {"Range": "bytes=0-99,50-150,151-160"})
        assert ours.status == 206
        assert _h(ours, "Content-Range") == f"bytes 0-160/{SIZE}"
        assert ours.body == DATA[:161]
        many = ",".join(f"{i}-{i}" for i in range(0, 40, 2))  # 20 ranges: past MAX_RANGES
        ours = await _ask(ports["fasthttp"], "/static/data.bin", {"Range": "bytes=" + many})
        assert ours.status == 200 and ours.body == DATA
        # Out of order and partly unsatisfiable: sorted, the unsatisfiable one dropped.
        ours = await _ask(ports["fasthttp"], "/static/data.bin",
                          {"Range": f"bytes=200-201,{SIZE + 10}-,0-0"})
        assert _byteranges(ours) == [(f"bytes 0-0/{SIZE}", DATA[:1]),
                                     (f"bytes 200-201/{SIZE}", DATA[200:202])]


@async_test()
async def test_other_range_unit_is_ignored(files: Path) -> None:
    # RFC 9110 14.2: an unknown range unit MUST be ignored (aiohttp answers 416).
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/data.bin", {"Range": "items=0-5"})
        assert (ours.status, theirs.status) == (200, 416)
        assert ours.body == DATA


@async_test()
async def test_range_only_for_get(files: Path) -> None:
    async with _servers(files) as ports:
        ours = await _ask(ports["fasthttp"], "/file/data.bin", {"Range": "bytes=0-1"}, "POST")
        assert ours.status == 200 and ours.body == DATA
        ours, theirs = await _both(ports, "/static/data.bin", {"Range": "bytes=0-1"}, "HEAD")
        assert ours.status == theirs.status  # aiohttp and fasthttp agree on HEAD
        assert ours.body == b""


@async_test()
async def test_if_range(files: Path) -> None:
    tag = _etag(files)
    modified = _last_modified(files)
    async with _servers(files) as ports:
        # A date that is the Last-Modified: the range (both servers).
        ours, theirs = await _both(ports, "/static/data.bin", {"Range": "bytes=0-3", "If-Range": modified})
        assert (ours.status, theirs.status) == (206, 206)
        # An older date: the whole file (both servers).
        ours, theirs = await _both(ports, "/static/data.bin",
                                   {"Range": "bytes=0-3", "If-Range": _h_date(1_600_000_000)})
        assert (ours.status, theirs.status) == (200, 200)
        assert ours.body == DATA
        # The current tag: the range.
        ours = await _ask(ports["fasthttp"], "/static/data.bin", {"Range": "bytes=0-3", "If-Range": tag})
        assert ours.status == 206 and ours.body == DATA[:4]
        # Another tag, or a weak one: the whole file. (aiohttp ignores tags in If-Range and
        # serves the range: a client resuming a download of a file that changed would splice
        # two versions together.)
        for value in ('"stale"', "W/" + tag):
            ours, theirs = await _both(ports, "/static/data.bin", {"Range": "bytes=0-3", "If-Range": value})
            assert (ours.status, theirs.status) == (200, 206), value
            assert ours.body == DATA


@async_test()
async def test_curl_reads_ranges(files: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    async with _servers(files) as ports:
        url = f"http://{HOST}:{ports['fasthttp']}/static/data.bin"
        proc = await asyncio.create_subprocess_exec(
            curl, "-s", "-r", "10-19", url, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        assert out == DATA[10:20]
        proc = await asyncio.create_subprocess_exec(
            curl, "-s", "-i", "-r", "0-1,20-21", url, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        assert out.startswith(b"HTTP/1.1 206 Partial Content")
        assert DATA[0:2] in out and DATA[20:22] in out and b"multipart/byteranges" in out
        proc = await asyncio.create_subprocess_exec(
            curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
            f"If-None-Match: {_etag(files)}", url, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        assert out == b"304"


# --- what is sent -------------------------------------------------------------------------------

@async_test()
async def test_precompressed_sibling_as_aiohttp(files: Path) -> None:
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/app.js", {"Accept-Encoding": "gzip, deflate"})
        assert ours.status == theirs.status == 200
        assert _h(ours, "Content-Encoding") == _h(theirs, "Content-Encoding") == "gzip"
        assert ours.body == theirs.body == (files / "app.js.gz").read_bytes()
        assert _h(ours, "Content-Type") == _h(theirs, "Content-Type")
        assert "Accept-Encoding" in (_h(ours, "Vary") or "")
        ours, theirs = await _both(ports, "/static/app.js")
        assert _h(ours, "Content-Encoding") is _h(theirs, "Content-Encoding") is None
        assert ours.body == (files / "app.js").read_bytes()
        ours, theirs = await _both(ports, "/static/archive.tar.gz")
        assert _h(ours, "Content-Type") == _h(theirs, "Content-Type") == "application/gzip"
        assert _h(ours, "Content-Encoding") is None


@async_test()
async def test_what_is_not_a_regular_file(files: Path) -> None:
    async with _servers(files) as ports:
        for target, status in (("/file/fifo", 403), ("/file/sub", 403), ("/file/missing", 404),
                               ("/static/fifo", 403), ("/static/missing", 404)):
            ours, theirs = await _both(ports, target)
            assert (ours.status, theirs.status) == (status, status), target


@async_test()
async def test_unreadable_file_is_403(files: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    (files / "data.bin").chmod(0)
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/data.bin")
        assert (ours.status, theirs.status) == (403, 403)


@async_test(timeout=40)
async def test_large_file_and_ranges_over_sendfile(files: Path) -> None:
    big = bytes(range(256)) * (12 * 1024)  # 3 MiB
    (files / "big.bin").write_bytes(big)
    async with _servers(files) as ports:
        ours = await _ask(ports["fasthttp"], "/static/big.bin")
        assert ours.status == 200 and ours.body == big
        ours = await _ask(ports["fasthttp"], "/static/big.bin", {"Range": "bytes=1000000-2999999"})
        assert ours.status == 206 and ours.body == big[1000000:3000000]


# --- static: index and symlinks -------------------------------------------------------------------

@async_test()
async def test_directory_index_as_aiohttp(files: Path) -> None:
    async with _servers(files, show_index=True) as ports:
        for target in ("/static/", "/static/sub", "/static/sub/"):
            ours, theirs = await _both(ports, target)
            assert (ours.status, theirs.status) == (200, 200), target
            assert ours.body == theirs.body, target
            assert _h(ours, "Content-Type") == _h(theirs, "Content-Type")
        assert b"a &amp; &lt;c&gt;.txt" in ours.body  # names are escaped
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/sub")
        assert (ours.status, theirs.status) == (403, 403)


@async_test()
async def test_symlinks_as_aiohttp(files: Path) -> None:
    async with _servers(files) as ports:
        ours, theirs = await _both(ports, "/static/linked-out/secret.txt")
        assert (ours.status, theirs.status) == (404, 404)
    async with _servers(files, follow_symlinks=True) as ports:
        ours, theirs = await _both(ports, "/static/linked-out/secret.txt")
        assert (ours.status, theirs.status) == (200, 200)
        assert ours.body == b"outside"
        # Following links never lets the path itself climb out.
        for target in ("/static/../outside/secret.txt", "/static/%2e%2e/outside/secret.txt",
                       "/static/sub/%2e%2e/%2e%2e/outside/secret.txt"):
            ours, theirs = await _both(ports, target)
            assert ours.status in (403, 404) and theirs.status in (403, 404), target
            assert b"outside" not in ours.body


# --- Response.etag / last_modified, Request conditional properties ---------------------------------

ETAG_VALUES: list[Any] = ["abc", "*", "", "x y", 'a"b', "é", None]


@pytest.mark.parametrize("value", ETAG_VALUES, ids=repr)
def test_response_etag_setter_as_aiohttp(value: Any) -> None:
    from aiohttp.helpers import ETag as AioETag

    from fasthttp.web.conditional import ETag

    for weak in (False, True):
        results = []
        for response, tag in ((web.Response(), ETag), (aioweb.Response(), AioETag)):
            try:
                response.etag = value if value is None or not weak else tag(value=value, is_weak=True)
                results.append(("ok", response.headers.get("ETag"),
                                None if response.etag is None else (response.etag.value, response.etag.is_weak)))
            except ValueError:
                results.append(("ValueError", None, None))
        assert results[0] == results[1], (value, weak)


LAST_MODIFIED_VALUES: list[Any] = [
    0, 1_700_000_000, 1_700_000_000.4,
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=datetime.timezone.utc),
    "Tue, 02 Jan 2024 03:04:05 GMT", None,
]


@pytest.mark.parametrize("value", LAST_MODIFIED_VALUES, ids=repr)
def test_response_last_modified_setter_as_aiohttp(value: Any) -> None:
    ours, theirs = web.Response(), aioweb.Response()
    ours.last_modified = value
    theirs.last_modified = value
    assert ours.headers.get("Last-Modified") == theirs.headers.get("Last-Modified")
    assert ours.last_modified == theirs.last_modified
    with pytest.raises(TypeError):
        ours.last_modified = object()  # type: ignore[assignment]


REQUEST_HEADERS = [
    {},
    {"Range": "bytes=0-9"}, {"Range": "bytes=5-"}, {"Range": "bytes=-7"}, {"Range": "bytes=9-5"},
    {"Range": "bytes=0-1,4-5"}, {"Range": "items=1-2"}, {"Range": "bytes=-"},
    {"If-Match": '"a", W/"b"'}, {"If-None-Match": "*"}, {"If-None-Match": '"a" garbage'},
    {"If-Modified-Since": "Tue, 02 Jan 2024 03:04:05 GMT"}, {"If-Unmodified-Since": "nonsense"},
    {"If-Range": "Tue, 02 Jan 2024 03:04:05 GMT"}, {"If-Range": '"tag"'},
]


@async_test(timeout=40)
async def test_request_properties_as_aiohttp() -> None:
    def describe(request: Any) -> str:
        try:
            rng = request.http_range
            http_range = repr((rng.start, rng.stop))
        except ValueError:
            http_range = "ValueError"

        def tags(value: Any) -> Any:
            return None if value is None else [(t.value, t.is_weak) for t in value]

        return repr((http_range, tags(request.if_match), tags(request.if_none_match),
                     request.if_modified_since, request.if_unmodified_since, request.if_range))

    answers = {}
    for mod in (web, aioweb):
        async def handler(request: Any, mod: Any = mod) -> Any:
            return mod.Response(text=describe(request))

        app = mod.Application()
        app.router.add_get("/", handler)
        runner = mod.AppRunner(app)
        await runner.setup()
        site = mod.TCPSite(runner, HOST, 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            answers[mod.__name__] = [(await _ask(port, "/", headers)).body for headers in REQUEST_HEADERS]
        finally:
            await runner.cleanup()
    assert answers["fasthttp.web"] == answers["aiohttp.web"]
