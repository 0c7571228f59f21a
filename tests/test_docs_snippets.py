"""Every code snippet of the documentation runs, against a local server on 127.0.0.1.

What is extracted (fenced blocks of docs/*.md, and the ```python blocks of README.md):

- ```python blocks: run as a script in a fresh interpreter (one beginning with `>>>` is a
  doctest, its output checked);
- ```console blocks: each `$ fasthttp ...` line is run as the command (`python -m fasthttp`),
  and must exit 0;
- Sphinx directives (```{eval-rst}, ```{toctree}, ```{include}) are not code and are left out;
- any other block (```sh, no language, ...) must stand after a `<!-- docs-test: skip (why) -->`
  comment. Skipped blocks are counted per file in SKIPPED below, so none is skipped silently:
  adding one means changing that count here.

Snippets are written against `http://127.0.0.1:8080` (or httpie's `:8080`, or `port=8080`):
the test replaces the number 8080 with the port of its server, an aiohttp.web application (an
independent peer) with the routes of `_docs_app()`. A block after a
`<!-- docs-test: server -->` comment is a server (the server quickstart's `python app.py`): it
is started on a free port, and the blocks after it on the same page talk to it instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest
from aiohttp import web as aioweb

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# Blocks marked `<!-- docs-test: skip (why) -->`, per file: install commands, benchmarks.
SKIPPED = {
    "docs/index.md": 2,
    "docs/performance.md": 9,
}

RUN_TIMEOUT = 60  # seconds for one snippet (a bench line with --compare is the longest)
SERVER_START_TIMEOUT = 20

_MARKER = re.compile(r"^<!--\s*docs-test:\s*(?P<what>\w+)\s*(?P<why>.*?)\s*-->$")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_PORT_8080 = re.compile(r"\b8080\b")


@dataclasses.dataclass(frozen=True)
class Block:
    path: str  # relative to the repository
    line: int  # of the opening fence
    language: str
    code: str
    marker: Optional[str]  # "skip" or "server", from the comment before the block
    reason: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def _blocks(path: Path, root: Path = ROOT) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(root).as_posix()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        language = opening["info"].strip().split(" ")[0]
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marked = _MARKER.match(previous.strip())
        yield Block(
            rel, start + 1, language, "\n".join(body) + "\n",
            marked["what"] if marked else None,
            marked["why"].strip("() ") if marked else "",
        )


def _all_blocks() -> list[Block]:
    blocks: list[Block] = []
    for path in sorted(DOCS.glob("*.md")):
        blocks += [b for b in _blocks(path) if not b.language.startswith("{")]
    # The README's shell lines are set-up commands; its python blocks are examples.
    blocks += [b for b in _blocks(README) if b.language == "python"]
    return blocks


BLOCKS = _all_blocks()
RUNNABLE = [b for b in BLOCKS if b.marker != "skip"]


def test_every_block_is_run_or_explicitly_skipped() -> None:
    problems = []
    skipped: dict[str, int] = {}
    for block in BLOCKS:
        if block.marker not in (None, "skip", "server"):
            problems.append(f"{block.id}: unknown marker docs-test: {block.marker}")
        elif block.marker == "skip":
            skipped[block.path] = skipped.get(block.path, 0) + 1
            if not block.reason:
                problems.append(f"{block.id}: a skipped block must say why")
        elif block.marker == "server" and block.language != "python":
            problems.append(f"{block.id}: only a python block can be a server")
        elif block.language not in ("python", "console"):
            problems.append(
                f"{block.id}: a {block.language or 'language-less'} block is not run: make it "
                "python or console, or mark it <!-- docs-test: skip (why) -->"
            )
    assert not problems, "\n".join(problems)
    assert skipped == SKIPPED, "skipped blocks per file changed: update SKIPPED"
    # The pages with examples have them extracted (a parser bug would find nothing).
    pages = {block.path for block in RUNNABLE}
    assert {"docs/client-quickstart.md", "docs/server-quickstart.md", "docs/command.md",
            "docs/migration.md", "docs/index.md", "README.md"} <= pages


def test_the_extraction_sees_markers_and_languages(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- docs-test: skip (an install) -->\n```sh\npip install .\n```\n\n"
        "- item\n\n  ```python\n  print(1)\n  ```\n",
        encoding="utf-8",
    )
    first, second = _blocks(page, root=tmp_path)
    assert (first.language, first.marker, first.reason, first.code) == (
        "sh", "skip", "an install", "pip install .\n")
    assert (second.language, second.marker, second.code, second.line) == (
        "python", None, "print(1)\n", 10)


# The test server ---------------------------------------------------------------------------


def _docs_app() -> aioweb.Application:
    """The routes the examples use, httpbin-like: GET /, /echo, /json, /bytes/N,
    /status/CODE, /slow, /redirect, /cookies/set?name=value, /ws (echo)."""

    async def hello(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text="Hello, world")

    async def echo(request: aioweb.Request) -> aioweb.Response:
        body = await request.read()
        return aioweb.json_response({
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        })

    async def json_(request: aioweb.Request) -> aioweb.Response:
        return aioweb.json_response({"message": "Hello, World!"})

    async def some_bytes(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(body=b"x" * int(request.match_info["n"]))

    async def status(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(status=int(request.match_info["code"]))

    async def slow(request: aioweb.Request) -> aioweb.Response:
        await asyncio.sleep(5)
        return aioweb.Response(text="late")

    async def redirect(request: aioweb.Request) -> aioweb.Response:
        raise aioweb.HTTPFound("/json")

    async def set_cookies(request: aioweb.Request) -> aioweb.Response:
        response = aioweb.Response(text="ok")
        for name, value in request.query.items():
            response.set_cookie(name, value)
        return response

    async def ws_echo(request: aioweb.Request) -> aioweb.WebSocketResponse:
        ws = aioweb.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aioweb.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == aioweb.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = aioweb.Application()
    app.router.add_get("/", hello)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/json", json_)
    app.router.add_get(r"/bytes/{n:\d+}", some_bytes)
    app.router.add_get(r"/status/{code:\d+}", status)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/cookies/set", set_cookies)
    app.router.add_get("/ws", ws_echo)
    return app


@pytest.fixture(scope="module")
def docs_server() -> Iterator[int]:
    """The test server in a thread of its own (its own loop); yields its port."""
    loop = asyncio.new_event_loop()
    runner = aioweb.AppRunner(_docs_app(), access_log=None)
    ready = threading.Event()
    port: list[int] = []

    async def start() -> None:
        await runner.setup()
        site = aioweb.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port.append(runner.addresses[0][1])
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    assert ready.wait(10)
    try:
        yield port[0]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _PageServers:
    """The server blocks' processes, started on first use and stopped with the module."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.running: dict[str, tuple[subprocess.Popen[bytes], int]] = {}

    def start(self, block: Block) -> int:
        if block.id in self.running:
            return self.running[block.id][1]
        port = _free_port()
        script = self.tmp / f"server_{block.line}.py"
        script.write_text(_PORT_8080.sub(str(port), block.code), encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(script)], cwd=self.tmp,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )
        self.running[block.id] = (process, port)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                time.sleep(0.1)
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"{block.id}: the server did not listen on {port}:\n{err.decode()}")

    def stop(self) -> None:
        for process, _ in self.running.values():
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stderr:
                process.stderr.close()


@pytest.fixture(scope="module")
def page_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_PageServers]:
    servers = _PageServers(tmp_path_factory.mktemp("docs-servers"))
    try:
        yield servers
    finally:
        servers.stop()


def _server_block_before(block: Block) -> Optional[Block]:
    same_page = [b for b in BLOCKS if b.path == block.path and b.line < block.line]
    return next((b for b in reversed(same_page) if b.marker == "server"), None)


# Running the snippets ----------------------------------------------------------------------


def _run(argv: list[str], block: Block, cwd: Path, env: Optional[dict[str, str]] = None) -> str:
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{block.id}: {argv[-1]!r} ran longer than {RUN_TIMEOUT}s") from exc
    out = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, f"{block.id}: exit {done.returncode} from {argv}\n{out}"
    return out


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_snippet_runs(
    block: Block, docs_server: int, page_servers: _PageServers, tmp_path: Path
) -> None:
    if block.marker == "server":
        page_servers.start(block)
        return
    server = _server_block_before(block)
    port = page_servers.start(server) if server else docs_server
    code = _PORT_8080.sub(str(port), block.code)
    if block.language == "console":
        commands = [line[2:] for line in code.splitlines() if line.startswith("$ ")]
        assert commands, f"{block.id}: a console block without `$ ` lines"
        for command in commands:
            argv = shlex.split(command)
            assert argv[0] == "fasthttp", f"{block.id}: only `fasthttp` commands are run"
            _run([sys.executable, "-m", "fasthttp", *argv[1:]], block, tmp_path)
    elif code.lstrip().startswith(">>>"):
        # A doctest. It shows the default choice of twin ('cython'), so it runs with the
        # compiled twins allowed whatever this run forces (scripts/test builds them).
        snippet = tmp_path / "snippet.txt"
        snippet.write_text(code, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "FASTHTTP_NO_EXTENSIONS"}
        _run([sys.executable, "-m", "doctest", str(snippet)], block, tmp_path, env)
    else:
        snippet = tmp_path / "snippet.py"
        snippet.write_text(code, encoding="utf-8")
        _run([sys.executable, str(snippet)], block, tmp_path)
