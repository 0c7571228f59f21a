"""The request command side by side with httpie, its reference: the same invocation through
`http` (httpie 3.2) and `fasthttp` against one aiohttp.web server, and what the server received
compared (method, path, query, the headers that matter, the body parsed) for every request-item
form, every body mode, nested JSON paths and the default-method rule; and the same refusal
(exit status 1, the culprit named) for a malformed or clashing JSON path."""

from __future__ import annotations

import json
import subprocess
from typing import Any, Iterator

import pytest

from cli_echo import received
from cli_helpers import PYTHON, REPO, ThreadLoop, cli_env, run_cli, web_server

pytest.importorskip("httpie", reason="httpie (the test extra) is the reference peer")
aiohttp_web: Any = pytest.importorskip("aiohttp.web")

# Headers each client sets its own way (identity, transport) are not compared.
IGNORED_HEADERS = frozenset({"user-agent", "host", "accept-encoding", "connection", "content-length"})


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    tl = ThreadLoop()
    app = aiohttp_web.Application()
    app.router.add_route("*", "/{tail:.*}", received)
    try:
        with web_server(tl, app) as url:
            yield url
    finally:
        tl.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("items")
    paths = {
        "text": folder / "note.txt",
        "json": folder / "data.json",
        "header": folder / "token.txt",
        "body": folder / "body.xml",
    }
    paths["text"].write_text("hello from a file\n")
    paths["json"].write_text('{"nested": [1, 2, {"x": null}]}')
    paths["header"].write_text("secret-token\n")
    paths["body"].write_text("<a>raw body</a>")
    return {key: str(path) for key, path in paths.items()}


def httpie(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([PYTHON, "-m", "httpie", "--ignore-stdin", *args], capture_output=True,
                          timeout=60, cwd=REPO, env=cli_env(HTTPIE_CONFIG_DIR=REPO + "/.no-httpie-config"))


def what_matters(stdout: bytes) -> dict[str, Any]:
    seen = json.loads(stdout)
    headers = {k: v for k, v in seen.pop("headers").items() if k not in IGNORED_HEADERS}
    content_type = headers.pop("content-type", "")
    seen["content_type_header"] = content_type.split("; boundary=")[0]
    seen["headers"] = headers
    return seen


# name: (options and method, which come before the URL as httpie wants them; the items after it)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "query": ([], ["q==hello world", "q==again", "page==2"]),
    "headers": ([], ["X-One:first", "X-Two: spaced value ", "Accept:text/plain"]),
    "empty header": ([], ["X-Empty;"]),
    "removed header": ([], ["Accept:"]),
    "string fields": ([], ["name=alice", "url=http://x.test/?a=b", "u=ü"]),
    "raw json fields": ([], ["n:=30", 'tags:=["a", "b"]', 'obj:={"ok": true}', "nothing:=null"]),
    "text from file": ([], ["note=@{text}"]),
    "json from file": ([], ["doc:=@{json}"]),
    "header from file": ([], ["X-Token:@{header}"]),
    "query from file": ([], ["t==@{header}"]),
    "escaped separator": ([], ["a\\:b=c", "x\\==y"]),
    "form": (["--form"], ["a=1", "b=two words", "c=ü&="]),
    "multipart with file": (["--form"], ["title=hi", "upload@{text}", "after=1"]),
    "multipart with file type": (["-f"], ["upload@{text};type=text/x-custom"]),
    "forced multipart": (["--multipart"], ["a=1", "b=2"]),
    "json flag": (["--json"], []),
    "json flag with data": (["-j"], ["a=1"]),
    "body from file": ([], ["@{body}"]),
    "raw body": (["--raw", "plain text body"], []),
    "explicit method": (["PUT"], ["a=1"]),
    "lowercase method": (["delete"], []),
    "method with form": (["-f", "patch"], ["x=y"]),
    "auth basic": (["-a", "user:pass"], []),
    "auth bearer": (["-A", "bearer", "-a", "tok123"], []),
    "header removed and data": (["post"], ["User-Agent:", "a=b"]),
    # httpie 3's nested JSON paths
    "nested objects": ([], ["a[b][c]=1", "a[b][d]:=2", "a[e]=x", "top=1"]),
    "nested arrays": ([], ["t[]=a", "t[]:=1", "u[2]=x", "v[0][k]=y", "v[1][]=z", "w[1]:=true"]),
    "top-level array": ([], ["[]:=1", "[]=two", "[4][k]=v"]),
    "top-level array by index": ([], ["[0][type]=platform", "[1][type]=desktop", "[0][name]=terminal"]),
    "escaped brackets": ([], ["a\\[b\\]=1", "n[\\5]=s", "p\\\\q=2", "x\\\\[y]=1", "m[\\]]=3"]),
    "numbers as keys and indexes": ([], ["o[ 1]=x", "r[+1]=y", "k1=z", "5=five"]),
    "nested json from a file": ([], ["doc[inner]:=@{json}", "doc[text]=@{text}"]),
    "repeated name": ([], ["a=1", "a=2"]),
    "brackets in form names": (["-f"], ["a[b]=c", "d[]=1"]),
    "escaped separators in values": ([], ["a=b\\=c", "q==x\\=y", "X-A:b\\:c"]),
}


def _with_files(item: str, files: dict[str, str]) -> str:
    for key, path in files.items():
        item = item.replace("{" + key + "}", path)
    return item


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_request_as_httpie(base: str, files: dict[str, str], name: str) -> None:
    before, items = CASES[name]
    invocation = [*before, f"{base}/path/x", *(_with_files(item, files) for item in items)]
    reference = httpie(*invocation)
    assert reference.returncode == 0, reference
    ours = run_cli(*invocation)
    assert ours.code == 0, ours
    assert what_matters(ours.out) == what_matters(reference.stdout), name


# name: (items, what our one error line names)
BAD_PATHS: dict[str, tuple[list[str], str]] = {
    "unclosed bracket": (["a[b=c"], "expecting ']'"),
    "text after a bracket": (["a[b]c=1"], "expecting '['"),
    "stray closing bracket": (["a]b=1"], "expecting '['"),
    "top-level key": (["[x]=1"], "expecting a number"),
    "negative index": (["a[-1]=1"], "negative indexes"),
    "key into a string": (["a=1", "a[b]=2"], "'key' based access on 'a' which has a type of 'string'"),
    "index into an object": (["a[b]=1", "a[0]=2"], "'index' based access on 'a' which has a type of 'object'"),
    "key into a top-level array": (["[]=1", "b=2"], "which has a type of 'array'"),
}


@pytest.mark.parametrize("name", sorted(BAD_PATHS))
def test_bad_json_path_refused_as_httpie_refuses_it(base: str, name: str) -> None:
    items, message = BAD_PATHS[name]
    reference = httpie(f"{base}/path/x", *items)
    assert reference.returncode == 1, reference
    ours = run_cli(f"{base}/path/x", *items)
    assert ours.code == 1 and ours.out == b"", ours
    assert ours.err.startswith("fasthttp: error: '") and message in ours.err, ours
    assert "Traceback" not in ours.err
