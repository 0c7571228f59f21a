"""The request command's options: httpie 3.2's names, short forms and defaults."""

from __future__ import annotations

import argparse
import re
from typing import Optional

from .request_items import UsageError, _split

__all__ = ("SSL_VERSIONS", "build_parser", "split_target", "normalize_url")

_METHOD_RE = re.compile(r"^[A-Za-z]+$")
# httpie's --ssl names (tls1.3 is a fasthttp extra); the version is pinned, as httpie pins it.
SSL_VERSIONS = ("ssl2.3", "tls1", "tls1.1", "tls1.2", "tls1.3")
COMMON_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

DESCRIPTION = """\
Send one HTTP request, as httpie's `http` does: fasthttp [METHOD] URL [REQUEST_ITEM ...].
(`fasthttp bench ...` runs the load generator.)

Request items: Header:value, Header: (do not send it), Header; (empty), param==value,
field=value, field:=json, field@file (with --form), field=@file (text), field:=@file (JSON),
Header:@file, param==@file, @file (the body from a file). A backslash escapes a separator.
JSON field names are paths, as httpie 3's: a[b]=c, a[]=1 (append), a[0][x]=y, []:=1 (a top-level
array); \\[ \\] \\\\ are those characters, a[\\5] the key "5".
"""

EPILOG = """\
Exit status (httpie's): 0 ok, 1 error, 2 timeout, 3 unexpected 3xx (with --check-status),
4 HTTP 4xx and 5 HTTP 5xx (with --check-status or --download), 6 too many redirects.

Where fasthttp differs from httpie on purpose:
  -H/--header 'Name: value' is an extra way to give a header (httpie has only items).
  Piped stdin is the body only when there are no data items, no @file and no --raw (httpie
  refuses the mix), and an empty stdin means no body (httpie would still send a POST).
  --session files live under $FASTHTTP_CONFIG_DIR (default ~/.config/fasthttp)/sessions.
  Colours need Pygments (pip install 'fasthttp[cli]'); without it bodies are formatted, uncoloured.
  --style auto uses the terminal's 16 colours; other names are Pygments styles.
  Bodies are read into memory before sending (httpie streams files).
  An Authorization item (or credentials in the URL) is not replaced by .netrc's (httpie's is).
  -P/--history-print applies to the intermediate exchanges of --all as httpie documents it.
  --ssl also takes tls1.3. Not there: plugins.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasthttp", description=DESCRIPTION, epilog=EPILOG, add_help=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("target", nargs="*", metavar="[METHOD] URL [REQUEST_ITEM ...]",
        help="an optional method (any case), the URL, then request items")
    content = parser.add_argument_group("content")
    content.add_argument("-j", "--json", dest="as_json", action="store_true",
                         help="data items as a JSON object (the default); asks for JSON")
    content.add_argument("-f", "--form", action="store_true",
                         help="data items as a form (multipart when a file item is present)")
    content.add_argument("--multipart", action="store_true", help="always multipart/form-data")
    content.add_argument("--boundary", help="the multipart boundary")
    content.add_argument("--raw", help="this text is the request body")
    content.add_argument("-x", "--compress", action="count", default=0,
                         help="deflate the body (Content-Encoding: deflate) when that makes it smaller; "
                              "-xx always")
    content.add_argument("--chunked", action="store_true",
                         help="send the body with Transfer-Encoding: chunked (no Content-Length)")
    content.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                         help="a header (a fasthttp extra; httpie takes Header:value items only)")
    output = parser.add_argument_group("output")
    output.add_argument("-p", "--print", dest="print_what", metavar="WHAT",
                        help="H request headers, B request body, h response headers, "
                             "b response body, m metadata (default hb on a terminal, b otherwise)")
    output.add_argument("-P", "--history-print", metavar="WHAT",
                        help="like --print, for the intermediate requests and responses of --all")
    output.add_argument("--all", dest="show_all", action="store_true",
                        help="print the intermediate requests and responses too (redirects with --follow)")
    output.add_argument("-h", "--headers", action="store_true", help="only response headers (-p h)")
    output.add_argument("-m", "--meta", action="store_true", help="only response metadata (-p m)")
    output.add_argument("-b", "--body", action="store_true", help="only the response body (-p b)")
    output.add_argument("-v", "--verbose", action="count", default=0,
                        help="the request too (-p HBhb); -vv adds metadata")
    output.add_argument("-q", "--quiet", action="count", default=0,
                        help="print nothing to stdout (-qq: no warnings either)")
    output.add_argument("--pretty", choices=("all", "colors", "format", "none"),
                        help="colours and formatting (default all on a terminal, none otherwise)")
    output.add_argument("-s", "--style", default="auto", help="a Pygments style for colours")
    output.add_argument("--offline", action="store_true", help="build and print the request, send nothing")
    output.add_argument("-d", "--download", action="store_true",
                        help="save the body to a file (named from the response), progress on stderr")
    output.add_argument("-o", "--output", metavar="FILE", help="write the output (or the download) to FILE")
    output.add_argument("-c", "--continue", dest="resume", action="store_true",
                        help="resume a partial download (needs -d and -o)")
    sessions = parser.add_argument_group("sessions")
    sessions.add_argument("--session", metavar="NAME_OR_PATH",
                          help="keep cookies, auth and headers between runs in a session file")
    sessions.add_argument("--session-read-only", metavar="NAME_OR_PATH",
                          help="use a session without updating it")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("-a", "--auth", metavar="USER[:PASS] | TOKEN")
    auth.add_argument("-A", "--auth-type", choices=("basic", "digest", "bearer"), default=None)
    auth.add_argument("--ignore-netrc", action="store_true",
                      help="do not take credentials from ~/.netrc (or $NETRC) when none are given")
    network = parser.add_argument_group("network")
    network.add_argument("--proxy", action="append", default=[], metavar="PROTOCOL:PROXY_URL",
                         help="e.g. --proxy=http:http://127.0.0.1:3128")
    network.add_argument("-F", "--follow", action="store_true", help="follow redirects")
    network.add_argument("--max-redirects", type=int, default=30)
    network.add_argument("--timeout", type=float, default=None,
                         help="seconds to wait for the connection and for each read (not the whole download)")
    network.add_argument("--check-status", action="store_true",
                         help="exit 3/4/5 for an unexpected 3xx, a 4xx or a 5xx answer")
    network.add_argument("-I", "--ignore-stdin", action="store_true", help="never read stdin")
    ssl = parser.add_argument_group("ssl")
    ssl.add_argument("--verify", default="yes", help="yes, no, or a CA bundle path")
    ssl.add_argument("--insecure", action="store_true", help="same as --verify=no")
    ssl.add_argument("--cert", help="a client certificate (PEM; with the key unless --cert-key)")
    ssl.add_argument("--cert-key", help="the client certificate's private key")
    ssl.add_argument("--cert-key-pass", metavar="PASS", help="the passphrase of the --cert-key private key")
    ssl.add_argument("--ssl", dest="ssl_version", choices=tuple(SSL_VERSIONS), metavar="VERSION",
                     help="the only TLS version to use: " + ", ".join(SSL_VERSIONS)
                          + " (ssl2.3: the best both sides speak, the default)")
    ssl.add_argument("--ciphers", help="the TLS 1.2 and older cipher suites, in OpenSSL's list format")
    other = parser.add_argument_group("other")
    other.add_argument("--version", action="store_true", help="print the version and exit")
    other.add_argument("--help", action="help", help="show this help and exit")
    return parser


def normalize_url(url: str) -> str:
    """`:8080/x` -> http://localhost:8080/x; `:/x` -> http://localhost/x; `example.org` -> http://."""
    if url.startswith(":/"):
        return "http://localhost" + url[1:]
    if url.startswith(":"):
        return "http://localhost" + url
    if "://" not in url:
        return "http://" + url
    return url


def _is_item(arg: str) -> bool:
    if "://" in arg:
        return False
    try:
        name, sep, _ = _split(arg)
    except UsageError:
        return False
    return bool(name) or sep == "@"


def split_target(target: list[str]) -> tuple[Optional[str], str, list[str]]:
    """(method or None, URL, items). A first word of letters is a method when a URL follows it."""
    if not target:
        raise UsageError("a URL is required (or: fasthttp bench)")
    if len(target) >= 2 and _METHOD_RE.match(target[0]) and not _is_item(target[1]):
        return target[0].upper(), normalize_url(target[1]), target[2:]
    if len(target) == 1 and target[0].upper() in COMMON_METHODS:
        raise UsageError(f"a URL is required after {target[0]}")
    return None, normalize_url(target[0]), target[1:]
