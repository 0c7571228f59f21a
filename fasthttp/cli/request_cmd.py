"""`fasthttp [METHOD] URL [REQUEST_ITEM ...]`: one request from the shell with httpie's interface
(httpie's documentation is the reference; `fasthttp --help` lists where it differs on purpose).

The pieces: request_args (options), request_items (items), request_body (JSON, form, multipart,
raw), request_session (--session files), request_network (TLS, proxy, auth, failures),
request_output (what is printed), download (--download).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, BinaryIO, Optional, Sequence

from yarl import URL

from .request_args import build_parser, normalize_url, split_target
from .request_body import JSON_ACCEPT, Body, build_body, deflated
from .request_items import RequestItems, UsageError, parse_items
from .request_network import (EXIT_ERROR, EXIT_REDIRECT, TlsOptions, auth_arguments, describe_failure,
                              proxy_for, ssl_argument)
from .request_output import BINARY_NOTICE, Printer, error, request_head, response_head, style_exists, warning
from .request_session import Session, load_session

__all__ = ("request_main", "normalize_url")  # bench takes normalize_url from here


@dataclass
class Plan:
    """Everything decided before the request is sent."""
    method: str
    url: URL
    items: RequestItems
    headers: list[tuple[str, str]]  # what the user asked for (items, -H, the session)
    removed: list[str]
    body: Body
    what: str  # httpie's --print letters
    history_what: str  # the same for the intermediate exchanges of --all
    session: Optional[Session]


def _checked_letters(option: str, letters: str) -> str:
    unknown = set(letters) - set("HBhbm")
    if unknown:
        raise UsageError(f"{option} '{letters}': unknown letters {''.join(sorted(unknown))} (use HBhbm)")
    return letters


def _print_letters(args: argparse.Namespace, to_terminal: bool) -> str:
    if args.quiet:
        return ""
    if args.print_what:
        return _checked_letters("--print", str(args.print_what))
    if args.verbose:
        return "HBhbm" if args.verbose > 1 else "HBhb"
    if args.headers:
        return "h"
    if args.meta:
        return "m"
    if args.body:
        return "b"
    if args.offline:
        return "HB"
    return "hb" if to_terminal else "b"


def _read_stdin(args: argparse.Namespace, items: RequestItems) -> Optional[bytes]:
    """Piped stdin is the body when nothing else is (an empty one is no body). A pipe that
    stays open and silent gets httpie's hint after a while, not a silent hang."""
    if args.ignore_stdin or items.has_data or args.raw is not None or sys.stdin is None:
        return None
    try:
        if sys.stdin.isatty():
            return None
        _hint_when_stdin_is_silent(sys.stdin.fileno())
        data = sys.stdin.buffer.read()
    except (OSError, ValueError):
        return None
    return data or None


def _hint_when_stdin_is_silent(fd: int, wait: float = 10.0) -> None:
    import select

    try:
        ready, _, _ = select.select([fd], [], [], wait)
    except (OSError, ValueError):  # not selectable (e.g. a file on Windows): just read it
        return
    if not ready:
        warning(f"no stdin data read in {wait:g} s (perhaps you want --ignore-stdin)")


def _merge_headers(plan_headers: list[tuple[str, str]], defaults: list[tuple[str, str]]) -> list[tuple[str, str]]:
    given = {name.lower() for name, _ in plan_headers}
    return [h for h in defaults if h[0].lower() not in given] + plan_headers


def _plan(args: argparse.Namespace, to_terminal: bool) -> Plan:
    method, url_text, item_args = split_target(list(args.target))
    items = parse_items(item_args)
    headers = list(items.headers)
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"-H '{raw}': expected 'Name: value'")
        headers.append((name.strip(), value.strip()))
    raw_body = args.raw.encode("utf-8") if args.raw is not None else _read_stdin(args, items)
    body = build_body(items, args.form, args.multipart, args.boundary, raw_body)
    if args.compress:
        packed = deflated(body, always=args.compress > 1)
        if packed is not None:  # the label is ours to set: any Content-Encoding item would lie
            body = Body(packed, body.content_type)
            headers = [h for h in headers if h[0].lower() != "content-encoding"]
            headers.append(("Content-Encoding", "deflate"))
    try:
        url = URL(url_text)
    except ValueError as exc:
        raise UsageError(f"invalid URL {url_text!r}: {exc}") from None
    if not url.host:
        raise UsageError(f"invalid URL {url_text!r}: no host")
    session = None
    name = args.session or args.session_read_only
    if name:
        session = load_session(name, url)
        headers = _merge_headers(headers, session.headers)
    if not style_exists(args.style):
        raise UsageError(f"--style {args.style}: no such Pygments style")
    if args.resume and not (args.download and args.output):
        raise UsageError("-c/--continue needs --download and -o/--output")
    what = _print_letters(args, to_terminal)
    history_what = what if args.history_print is None or args.quiet else _checked_letters(
        "--history-print", str(args.history_print))
    return Plan(
        method=method or ("POST" if body.data is not None else "GET"),
        url=url, items=items, headers=headers, removed=list(items.removed_headers), body=body,
        what=what, history_what=history_what, session=session,
    )


def _default_headers(args: argparse.Namespace, plan: Plan) -> list[tuple[str, str]]:
    # httpie: JSON is asked for (and a body without a type of its own labelled JSON) with -j,
    # or in the default JSON mode whenever there is a body.
    json_mode = args.as_json or (not (args.form or args.multipart) and plan.body.data is not None)
    defaults = [("Accept", JSON_ACCEPT if json_mode else "*/*")]
    content_type = plan.body.content_type
    if json_mode and content_type is None:  # httpie labels even an empty -j request JSON
        content_type = "application/json"
    if content_type:
        defaults.append(("Content-Type", content_type))
    return defaults


def _output_stream(args: argparse.Namespace) -> tuple[BinaryIO, bool]:
    if args.output and not args.download:
        try:
            return open(args.output, "wb"), False
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    return sys.stdout.buffer, sys.stdout.isatty()


def request_main(argv: Sequence[str]) -> int:
    parser = build_parser()
    if not argv:
        parser.print_usage(sys.stderr)
        error("a URL is required (or: fasthttp bench)")
        return EXIT_ERROR
    args = parser.parse_intermixed_args(argv)  # items may follow options, as in httpie
    if args.version:
        import fasthttp

        print(fasthttp.__version__)
        return 0
    out, to_terminal = sys.stdout.buffer, sys.stdout.isatty()
    if args.output and not args.download:
        to_terminal = False  # -o FILE: the output is a file, printed as off a terminal
    try:
        plan = _plan(args, to_terminal)
        if args.output and not args.download:
            out, to_terminal = _output_stream(args)
    except UsageError as exc:
        error(str(exc))
        return EXIT_ERROR
    pretty = args.pretty or ("all" if to_terminal else "none")
    printer = Printer(out, to_terminal, colors=pretty in ("all", "colors"), format=pretty in ("all", "format"),
                      style=args.style)
    try:
        if args.offline:
            return _offline(args, plan, printer)
        return asyncio.run(_send(args, plan, printer))
    except KeyboardInterrupt:
        error("interrupted", printer)
        return 130
    finally:
        if out is not sys.stdout.buffer:
            out.close()


def _print_request(printer: Printer, what: str, method: str, path_qs: str,
                   headers: list[tuple[str, str]], body: Optional[bytes]) -> None:
    if "H" in what:
        printer.head(request_head(method, path_qs, headers))
    if "B" in what and body:
        named = dict((k.lower(), v) for k, v in headers)
        if named.get("content-encoding") and printer.to_terminal:
            printer.write(BINARY_NOTICE + "\n")  # -x: deflated bytes are not text
        else:
            printer.body(body, named.get("content-type", ""), "utf-8")
            printer.end_line()
    if set(what) & set("hbm"):
        printer.write("\n")  # httpie's blank line between the request and the response


def _auth(args: argparse.Namespace, plan: Plan) -> tuple[Optional[str], Optional[str], dict[str, Any],
                                                        list[tuple[str, str]]]:
    """-a/-A, or the session's auth: (raw, type, request keyword arguments, extra headers)."""
    raw_auth, auth_type = args.auth, args.auth_type
    if raw_auth is None and plan.session is not None and plan.session.auth:
        raw_auth, auth_type = plan.session.auth["raw_auth"], plan.session.auth["type"]
    kwargs, headers = auth_arguments(raw_auth, auth_type)
    if raw_auth is None and not args.ignore_netrc and _may_use_netrc(plan):
        from .request_netrc import NetrcForEachHost, netrc_credentials

        found = netrc_credentials(plan.url.host)
        if found is not None:
            import fasthttp

            kwargs["auth"] = fasthttp.BasicAuth(*found)
        if args.follow or args.download:  # a redirect to another host: that host's entry
            kwargs["middlewares"] = (NetrcForEachHost(plan.url.host, found),)
    return raw_auth, auth_type, kwargs, headers


def _may_use_netrc(plan: Plan) -> bool:
    """Credentials of the user's own (in the URL, an Authorization item) are not overridden by
    .netrc ones (httpie, through requests, would replace the item's)."""
    if plan.url.user is not None:
        return False
    named = {name.lower() for name, _ in plan.headers} | {name.lower() for name in plan.removed}
    return "authorization" not in named


def _offline(args: argparse.Namespace, plan: Plan, printer: Printer) -> int:
    try:
        _, _, auth_kwargs, auth_headers = _auth(args, plan)
        ssl_argument(TlsOptions.from_args(args))
        proxy_for(args.proxy, plan.url)
    except UsageError as exc:
        error(str(exc), printer)
        return EXIT_ERROR
    if "auth" in auth_kwargs:  # basic: known before sending (digest needs the server's challenge)
        auth_headers.append(("Authorization", auth_kwargs["auth"].encode()))
    url = plan.url.update_query(plan.items.query) if plan.items.query else plan.url
    headers = [("Host", url.raw_authority)] + _merge_headers(plan.headers + auth_headers,
                                                             _default_headers(args, plan))
    headers = [h for h in headers if h[0].lower() not in {r.lower() for r in plan.removed}]
    if plan.body.data is not None:
        headers.append(("Transfer-Encoding", "chunked") if args.chunked
                       else ("Content-Length", str(len(plan.body.data))))
    _print_request(printer, plan.what, plan.method, url.raw_path_qs, headers, plan.body.data)
    return 0


async def _send(args: argparse.Namespace, plan: Plan, printer: Printer) -> int:
    import fasthttp

    method, url = plan.method, plan.url
    try:
        raw_auth, auth_type, auth_kwargs, auth_headers = _auth(args, plan)
        ssl_value = ssl_argument(TlsOptions.from_args(args))
        proxy = proxy_for(args.proxy, url)
    except UsageError as exc:
        error(str(exc), printer)
        return EXIT_ERROR
    removed = {name.lower() for name in plan.removed}
    headers = [h for h in _merge_headers(plan.headers + auth_headers, _default_headers(args, plan))
               if h[0].lower() not in removed]
    timeout = fasthttp.ClientTimeout(total=None, sock_connect=args.timeout, sock_read=args.timeout)
    middlewares = list(auth_kwargs.pop("middlewares", ()))
    history = None
    if args.show_all:
        from .request_history import HistoryRecorder

        history = HistoryRecorder(follows_redirects=args.follow or args.download)
        middlewares.append(history)  # the innermost: it sees every exchange on the wire
    started = time.monotonic()
    try:
        # unsafe=True: cookies from an IP-address host are kept, as httpie (requests) keeps them.
        async with fasthttp.ClientSession(timeout=timeout, trust_env=_environment_names_proxies(),
                                          cookie_jar=fasthttp.CookieJar(unsafe=True),
                                          middlewares=middlewares) as client:
            if plan.session is not None:
                for cookie in plan.session.cookies:
                    client.cookie_jar.update_cookies({cookie["name"]: cookie["value"]}, response_url=url)
            offset = 0
            if args.resume:
                from .download import resume_offset

                offset = resume_offset(args.output)
                if offset:
                    headers.append(("Range", f"bytes={offset}-"))
            async with client.request(
                method, url, params=plan.items.query or None, data=plan.body.data, headers=headers,
                skip_auto_headers=plan.removed or None, allow_redirects=args.follow or args.download,
                max_redirects=args.max_redirects, ssl=ssl_value, proxy=proxy,
                chunked=True if args.chunked and plan.body.data is not None else None, **auth_kwargs,
            ) as response:
                if history is not None:
                    _print_history(plan, printer, history.before(response))
                status = await _show_response(args, plan, printer, response, offset, started)
            if plan.session is not None and args.session:
                _update_session(plan, args, client, raw_auth, auth_type)
            return status
    except UsageError as exc:
        error(str(exc), printer)
        return EXIT_ERROR
    except (fasthttp.ClientError, asyncio.TimeoutError, ValueError, OSError, NotImplementedError) as exc:
        code, line = describe_failure(exc, method, url, args.timeout, args.max_redirects)
        error(line, printer)
        return code


def _environment_names_proxies() -> bool:
    """httpie honours the *_proxy variables, so trust_env=True when they are set. trust_env also
    has the client read .netrc, which the command has done already by its own rules
    (--ignore-netrc, an Authorization item wins): the client is pointed at an empty one."""
    from urllib.request import getproxies

    if not any(scheme in getproxies() for scheme in ("http", "https")):
        return False
    os.environ["NETRC"] = os.devnull  # this process only, after request_netrc has read it
    return True


def _print_history(plan: Plan, printer: Printer, exchanges: list[Any]) -> None:
    """--all: each intermediate request and response, with -P/--history-print's letters."""
    what = plan.history_what
    for exchange in exchanges:
        info, response = exchange.request_info, exchange.response
        if set(what) & set("HB"):
            _print_request(printer, what, info.method, info.url.raw_path_qs, list(info.headers.items()),
                           exchange.request_body)
        if "h" in what:
            printer.head(response_head(response))
        if "b" in what:
            printer.body(exchange.body, response.content_type, response.charset)
        printer.end_line()  # the next exchange starts on a line of its own, as httpie's does


def _update_session(plan: Plan, args: argparse.Namespace, client: Any, raw_auth: Optional[str],
                    auth_type: Optional[str]) -> None:
    assert plan.session is not None
    plan.session.update_headers(plan.headers)
    if raw_auth is not None:
        plan.session.auth = {"type": auth_type or "basic", "raw_auth": raw_auth}
    plan.session.cookies = [
        {"name": morsel.key, "value": morsel.value, "domain": morsel["domain"], "path": morsel["path"] or "/"}
        for morsel in client.cookie_jar
    ]
    try:
        plan.session.save()
    except OSError as exc:
        warning(f"cannot save session {plan.session.path}: {exc.strerror}")


async def _show_response(args: argparse.Namespace, plan: Plan, printer: Printer, response: Any,
                         offset: int, started: float) -> int:
    what = plan.what
    info = response.request_info
    if set(what) & set("HB"):
        # After a redirect the body was sent again only by a 307 or 308 (not by a 301/302/303,
        # which turn the request into a body-less GET).
        resent = not response.history or response.history[-1].status in (307, 308)
        _print_request(printer, what, info.method, info.url.raw_path_qs, list(info.headers.items()),
                       plan.body.data if resent else None)
    if args.download:
        return await _download(args, printer, response, offset)
    if "h" in what:
        printer.head(response_head(response))
    body = await response.read()
    if "b" in what:
        printer.body(body, response.content_type, response.charset)
    if "m" in what:
        printer.end_line()
        printer.write(f"\nElapsed time: {time.monotonic() - started:.6f}s\n")
    return _status_exit(args, printer, response, checked=args.check_status)


def _status_exit(args: argparse.Namespace, printer: Printer, response: Any, checked: bool) -> int:
    status = int(response.status)
    if not checked or status < 300:
        return 0
    code = EXIT_REDIRECT if status < 400 else 4 if status < 500 else 5
    if not printer.to_terminal and args.quiet < 2:
        warning(f"HTTP {status} {response.reason}", printer)  # httpie's notice off a terminal
    return code


async def _download(args: argparse.Namespace, printer: Printer, response: Any, offset: int) -> int:
    from .download import filename_for, save, size

    if sys.stderr.isatty():
        sys.stderr.write(response_head(response) + "\n")
    if response.status >= 300 or (offset and response.status not in (200, 206)):
        body = await response.read()
        printer.body(body, response.content_type, response.charset)
        return _status_exit(args, printer, response, checked=True)
    path = args.output or filename_for(response, response.url)
    try:
        done = await save(response, path, offset)
    except OSError as exc:
        error(f"cannot write {path}: {exc.strerror}", printer)
        return EXIT_ERROR
    if sys.stderr.isatty():
        sys.stderr.write(f"Done. {size(done)} saved to {path!r}\n")
    return 0
