"""`fasthttp [METHOD] URL [ITEM ...]`: one request from the shell, httpie-style.

Items: `Name:value` header, `field=value` JSON string field, `field:=json` raw JSON field,
`param==value` query parameter. Options: -H, -d/--data, --json, -F (multipart), -o FILE (with a
progress bar), -v, --timeout, --insecure. The body goes to stdout (pretty JSON on a terminal).
Failures print one line on stderr and exit non-zero: 1 connection or other error, 2 timeout,
3 too many redirects, 4 for an HTTP 4xx answer, 5 for 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from typing import Any, Optional, Sequence

__all__ = ("request_main", "parse_items", "normalize_url")

_METHOD_RE = re.compile(r"^[A-Z]+$")
_SEPARATORS = (":=", "==", "=", ":")
_COMMON_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

EXIT_ERROR, EXIT_TIMEOUT, EXIT_REDIRECTS = 1, 2, 3


class UsageError(Exception):
    pass


def normalize_url(url: str) -> str:
    """`:8080/x` -> http://localhost:8080/x; `example.org` -> http://example.org."""
    if url.startswith(":"):
        return "http://localhost" + url
    if "://" not in url:
        return "http://" + url
    return url


def parse_items(items: Sequence[str]) -> tuple[list[tuple[str, str]], dict[str, Any], list[tuple[str, str]]]:
    """Headers, JSON fields and query parameters from httpie-style items."""
    headers: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}
    query: list[tuple[str, str]] = []
    for item in items:
        best = None
        for sep in _SEPARATORS:
            index = item.find(sep)
            if index > 0 and (best is None or index < best[0] or index == best[0] and len(sep) > len(best[1])):
                best = (index, sep)
        if best is None:
            raise UsageError(f"'{item}' is not a valid request item (use Name:value, field=value, field:=json or param==value)")
        index, sep = best
        key, value = item[:index], item[index + len(sep):]
        if sep == ":":
            headers.append((key.strip(), value.strip()))
        elif sep == "==":
            query.append((key, value))
        elif sep == "=":
            fields[key] = value
        else:
            try:
                fields[key] = json.loads(value)
            except ValueError as exc:
                raise UsageError(f"'{item}': the value after := is not valid JSON ({exc})") from None
    return headers, fields, query


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasthttp",
        description="Send an HTTP request (fasthttp bench ... runs the load generator).",
    )
    parser.add_argument("target", nargs="+", metavar="[METHOD] URL [ITEM ...]",
                        help="an optional method, the URL, then request items")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    parser.add_argument("-d", "--data", help="raw request body (@FILE reads a file)")
    parser.add_argument("--json", dest="as_json", action="store_true",
                        help="send the data items as a JSON object (the default for items)")
    parser.add_argument("-F", "--form", action="append", default=[], metavar="name=value|name=@path",
                        help="a multipart/form-data field or file")
    parser.add_argument("-o", "--output", help="write the body to FILE, with a progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="show request and response heads")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole request")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--max-redirects", type=int, default=30)
    return parser


def request_main(argv: Sequence[str]) -> int:
    parser = _build_parser()
    if not argv:
        parser.print_usage(sys.stderr)
        print("fasthttp: error: a URL is required (or: fasthttp bench)", file=sys.stderr)
        return EXIT_ERROR
    args = parser.parse_intermixed_args(argv)  # items may follow options, as in httpie
    target = list(args.target)
    method = None
    if len(target) >= 2 and _METHOD_RE.match(target[0]):
        method = target.pop(0)
    elif target[0] in _COMMON_METHODS:
        print(f"fasthttp: error: a URL is required after {target[0]}", file=sys.stderr)
        return EXIT_ERROR
    url = normalize_url(target.pop(0))
    try:
        headers, fields, query = parse_items(target)
        for raw in args.header:
            name, sep, value = raw.partition(":")
            if not sep:
                raise UsageError(f"-H '{raw}': expected 'Name: value'")
            headers.append((name.strip(), value.strip()))
        if sum(bool(x) for x in (args.data is not None, fields, args.form)) > 1:
            raise UsageError("use only one of -d/--data, data items and -F/--form")
        if args.as_json:
            # httpie's --json: ask for JSON, and label a raw -d body as JSON (items already are).
            given = {name.lower() for name, _ in headers}
            if "accept" not in given:
                headers.append(("Accept", "application/json, */*;q=0.5"))
            if args.data is not None and "content-type" not in given:
                headers.append(("Content-Type", "application/json"))
    except UsageError as exc:
        print(f"fasthttp: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return asyncio.run(_run(method, url, headers, fields, query, args))
    except KeyboardInterrupt:
        print("fasthttp: interrupted", file=sys.stderr)
        return 130


async def _run(method: Optional[str], url: str, headers: list[tuple[str, str]],
               fields: dict[str, Any], query: list[tuple[str, str]], args: argparse.Namespace) -> int:
    import fasthttp

    kwargs: dict[str, Any] = {}
    if query:
        kwargs["params"] = query
    files_opened = []
    if args.data is not None:
        data = args.data
        if data.startswith("@"):
            try:
                with open(data[1:], "rb") as handle:
                    kwargs["data"] = handle.read()
            except OSError as exc:
                print(f"fasthttp: error: cannot read {data[1:]}: {exc.strerror}", file=sys.stderr)
                return EXIT_ERROR
        else:
            kwargs["data"] = data.encode("utf-8")
    elif fields:
        kwargs["json"] = fields
    elif args.form:
        form = fasthttp.FormData()
        for field in args.form:
            name, sep, value = field.partition("=")
            if not sep:
                print(f"fasthttp: error: -F '{field}': expected name=value or name=@path", file=sys.stderr)
                return EXIT_ERROR
            if value.startswith("@"):
                try:
                    handle = open(value[1:], "rb")
                except OSError as exc:
                    print(f"fasthttp: error: cannot open {value[1:]}: {exc.strerror}", file=sys.stderr)
                    return EXIT_ERROR
                files_opened.append(handle)
                form.add_field(name, handle, filename=os.path.basename(value[1:]))
            else:
                form.add_field(name, value)
        kwargs["data"] = form
    if method is None:
        method = "POST" if kwargs.get("data") is not None or "json" in kwargs else "GET"
    timeout = fasthttp.ClientTimeout(total=args.timeout)
    try:
        async with fasthttp.ClientSession(timeout=timeout) as session:
            async with session.request(
                method, url, headers=headers or None, ssl=not args.insecure,
                max_redirects=args.max_redirects, **kwargs,
            ) as response:
                if args.verbose:
                    _show_heads(response)
                if args.output:
                    await _download(response, args.output)
                else:
                    await _print_body(response)
                if response.status >= 400:
                    print(f"fasthttp: HTTP {response.status} {response.reason}", file=sys.stderr)
                    return 4 if response.status < 500 else 5
                return 0
    except fasthttp.TooManyRedirects:
        print(f"fasthttp: error: too many redirects (more than {args.max_redirects})", file=sys.stderr)
        return EXIT_REDIRECTS
    except asyncio.TimeoutError:
        print(f"fasthttp: error: request timed out after {args.timeout:g} s: {method} {url}", file=sys.stderr)
        return EXIT_TIMEOUT
    except fasthttp.ClientConnectorError as exc:
        error = exc.os_error
        # asyncio's "Connect call failed (...)" hides the reason; errno names it.
        reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
        print(f"fasthttp: error: cannot connect to {exc.host}:{exc.port}: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except (fasthttp.ClientError, ValueError, OSError) as exc:
        print(f"fasthttp: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        for handle in files_opened:
            handle.close()


def _show_heads(response: Any) -> None:
    info = response.request_info
    out = sys.stderr
    print(f"> {info.method} {info.url.raw_path_qs or '/'} HTTP/1.1", file=out)
    for name, value in info.headers.items():
        print(f"> {name}: {value}", file=out)
    print(">", file=out)
    print(f"< HTTP/{response.version[0]}.{response.version[1]} {response.status} {response.reason}", file=out)
    for name, value in response.headers.items():
        print(f"< {name}: {value}", file=out)
    print("<", file=out)


async def _print_body(response: Any) -> None:
    body = await response.read()
    out = sys.stdout
    if out.isatty() and "json" in response.content_type:
        try:
            text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            text = body.decode(response.charset or "utf-8", "replace")
        out.write(text + "\n")
        return
    if out.isatty():
        out.write(body.decode(response.charset or "utf-8", "replace"))
        return
    out.buffer.write(body)
    out.flush()


async def _download(response: Any, path: str) -> None:
    total = response.content_length
    done = 0
    started = time.monotonic()
    last_draw = 0.0
    show = sys.stderr.isatty() or os.environ.get("FASTHTTP_PROGRESS") == "1"
    with open(path, "wb") as handle:
        async for chunk in response.content.iter_chunked(65536):
            handle.write(chunk)
            done += len(chunk)
            now = time.monotonic()
            if show and now - last_draw > 0.1:
                last_draw = now
                _draw_progress(done, total, now - started)
    if show:
        _draw_progress(done, total, time.monotonic() - started, final=True)


def _draw_progress(done: int, total: Optional[int], elapsed: float, final: bool = False) -> None:
    rate = done / elapsed if elapsed > 0 else 0.0
    if total:
        fraction = min(done / total, 1.0)
        bar = "#" * int(fraction * 30)
        eta = (total - done) / rate if rate > 0 else 0.0
        line = f"\r[{bar:<30}] {_size(done)}/{_size(total)} {_size(rate)}/s ETA {eta:4.1f}s"
    else:
        line = f"\r{_size(done)} {_size(rate)}/s"
    sys.stderr.write(line + ("\n" if final else ""))
    sys.stderr.flush()


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
