"""Parsing of ``Set-Cookie`` field values (RFC 6265 section 5.2) and cookie dates (5.1.1).

This is the text-to-Morsel half of cookie handling, apart from the jar (fasthttp.cookiejar)
because it needs no state: it turns what a server sent into (name, Morsel) pairs and never
decides whether a cookie is stored or sent. Field values are split at ``;`` as the RFC says
(except inside a double-quoted value, which aiohttp keeps whole), so an unquoted ``Expires``
with spaces and commas is read correctly; invalid cookies and attributes are skipped, never
raised.

The jar also uses a few of the helpers below (the Morsel constructor, the control-character
and Max-Age patterns, the attribute set), so that a cookie is judged by the same rules when it
is parsed, stored, sent and loaded from a file.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from http.cookies import Morsel

__all__ = (
    "MAX_ATTRIBUTE_VALUE_LENGTH",
    "MAX_COOKIES_PER_RESPONSE",
    "MAX_COOKIE_PAIR_LENGTH",
    "parse_cookie_date",
    "parse_cookie_header",
    "parse_set_cookie",
    "parse_set_cookie_headers",
)

# Limits RFC 6265 section 6.1 (and 6265bis for attribute values) allow a user agent to set.
MAX_COOKIES_PER_RESPONSE = 50
MAX_COOKIE_PAIR_LENGTH = 4096  # octets of name + value
MAX_ATTRIBUTE_VALUE_LENGTH = 1024

_FLAG_ATTRS = frozenset(("secure", "httponly", "partitioned"))
# Attributes this Python's Morsel knows ("partitioned" only from 3.14 on).
_MORSEL_ATTRS: frozenset[str] = frozenset(Morsel._reserved)  # type: ignore[attr-defined]

# Control characters: a field with any but HTAB is refused; a name or value with any is refused.
_CTL_BUT_TAB_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CTL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Cookie names seen in the wild go beyond the RFC token ({}, [], (), / ...). Accept printable
# ASCII except what would break a Cookie header: space, '"', ',', ';', '=' and backslash.
_NAME_RE = re.compile(r"[!#-+\--:<>-\[\]-~]+")
_MAX_AGE_RE = re.compile(r"-?[0-9]+", re.ASCII)
_UNQUOTE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)

# RFC 6265 5.1.1: tokens are separated by runs of delimiters.
_DATE_DELIMITERS_RE = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_DATE_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?![0-9])")
_DATE_DAY_RE = re.compile(r"([0-9]{1,2})(?![0-9])")
_DATE_YEAR_RE = re.compile(r"([0-9]{2,4})(?![0-9])")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Morsel.__setitem__ lower-cases and validates the key; ours are known attribute names.
_set_attr = dict.__setitem__


# ---------------------------------------------------------------------------------------------
# Cookie dates (RFC 6265 5.1.1)


@lru_cache(maxsize=256)  # servers repeat the same few dates
def parse_cookie_date(text: str) -> int | None:
    """Parse a cookie date with RFC 6265 section 5.1.1's algorithm.

    Tolerant of the formats seen in the wild (RFC 1123, RFC 850, asctime, odd delimiters,
    two-digit years). Returns seconds since the epoch (UTC), or None if it is not a date.
    """
    hms: tuple[int, int, int] | None = None
    day = month = year = -1
    for token in _DATE_DELIMITERS_RE.split(text):
        if not token:
            continue
        if hms is None and (m := _DATE_TIME_RE.match(token)) is not None:
            hms = (int(m[1]), int(m[2]), int(m[3]))
        elif day < 0 and (m := _DATE_DAY_RE.match(token)) is not None:
            day = int(m[1])
        elif month < 0 and (number := _MONTHS.get(token[:3].lower())) is not None:
            month = number
        elif year < 0 and (m := _DATE_YEAR_RE.match(token)) is not None:
            year = int(m[1])
    if hms is None or day < 0 or month < 0 or year < 0:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif year <= 69:
        year += 2000
    hour, minute, second = hms
    if year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None  # "If no such date exists, ... fail to parse" (Feb 30, Apr 31, ...).
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


# ---------------------------------------------------------------------------------------------
# Set-Cookie field values (RFC 6265 5.2)


def _utf8_length(text: str) -> int | None:
    """Octets of text in UTF-8, or None if it cannot be encoded (lone surrogates)."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _unquote(coded: str) -> str:
    """The value of a double-quoted cookie value, undoing the stdlib's backslash escapes."""
    if len(coded) < 2 or coded[0] != '"' or coded[-1] != '"':
        return coded
    inner = coded[1:-1]
    if "\\" not in inner:
        return inner
    return _UNQUOTE_RE.sub(
        lambda m: chr(int(m[1], 8)) if m[1] is not None else m[2],
        inner,
    )


def _closing_quote(text: str, opening: int) -> int:
    """Index of the '"' closing the quoted string opened at `opening`, or -1."""
    i = opening + 1
    end = len(text)
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i
        else:
            i += 1
    return -1


def _new_morsel(key: str, value: str, coded_value: str) -> Morsel[str]:
    # Morsel.set() refuses names such as "path" or "[id]" that real servers use; the state
    # protocol (what pickle uses) sets the three fields as they are.
    morsel: Morsel[str] = Morsel()
    morsel.__setstate__(  # type: ignore[attr-defined]
        {"key": key, "value": value, "coded_value": coded_value}
    )
    return morsel


def _attributes(text: str) -> Iterator[tuple[str, str]]:
    """(name, value as sent) of each attribute in the text after the cookie-pair.

    Attributes end at ';', except inside a double-quoted value: aiohttp reads
    ``Path="/a;b"`` as one Path, and so do we. A quote with no closing quote, or one
    followed by anything but ';', is not a quoted value and the attribute ends at ';'.

    Linear in the length of text: a quoted value is scanned up to the next unescaped '"'
    only, and the next attribute that opens a quote starts at or after that '"'.
    """
    start = 0
    end = len(text)
    while start < end:
        semicolon = text.find(";", start)
        stop = end if semicolon == -1 else semicolon
        equals = text.find("=", start, stop)
        if equals == -1:
            yield text[start:stop], ""  # a flag (Secure, HttpOnly) or a stray word
            start = stop + 1
            continue
        value_at = equals + 1
        while value_at < stop and text[value_at] in " \t":
            value_at += 1
        if value_at < stop and text[value_at] == '"':
            closing = _closing_quote(text, value_at)
            if closing != -1:
                after = closing + 1
                while after < end and text[after] in " \t":
                    after += 1
                if after == end or text[after] == ";":
                    yield text[start:equals], text[value_at : closing + 1]
                    start = after + 1
                    continue
        yield text[start:equals], text[equals + 1 : stop]
        start = stop + 1


def parse_set_cookie(field: str) -> tuple[str, Morsel[str]] | None:
    """Parse one Set-Cookie field value into (name, Morsel), or None if it is not a cookie.

    RFC 6265 section 5.2: the name-value pair runs to the first ';' (a double-quoted value
    may contain ';', as aiohttp has always accepted); then attributes split at ';' (again
    but inside a double-quoted value, as aiohttp), unknown ones ignored, the last of each
    kind winning. Recognised attributes are stored in the
    Morsel; whether the cookie is accepted for a URL is decided by the jar.
    """
    if not field or _CTL_BUT_TAB_RE.search(field) is not None:
        return None
    equals = field.find("=")
    semicolon = field.find(";")
    if equals == -1 or (semicolon != -1 and semicolon < equals):
        return None  # no '=' in the pair: RFC 6265 says ignore the cookie
    name = field[:equals].strip(" \t")
    start = equals + 1
    while start < len(field) and field[start] in " \t":
        start += 1
    attributes_at = -1
    if start < len(field) and field[start] == '"':
        closing = _closing_quote(field, start)
        if closing != -1:
            rest = field[closing + 1 :].lstrip(" \t")
            if not rest or rest[0] == ";":
                coded_value = field[start : closing + 1]
                attributes_at = len(field) - len(rest) + 1
    if attributes_at == -1:
        pair_end = len(field) if semicolon == -1 else semicolon
        coded_value = field[start:pair_end].strip(" \t")
        attributes_at = pair_end + 1

    if not name or _NAME_RE.fullmatch(name) is None:
        return None
    length = _utf8_length(name + coded_value)
    if length is None or length > MAX_COOKIE_PAIR_LENGTH:
        return None
    value = _unquote(coded_value)
    if _CTL_RE.search(value) is not None or _utf8_length(value) is None:
        return None
    morsel = _new_morsel(name, value, coded_value)

    for key, attr_value in _attributes(field[attributes_at:]):
        key = key.strip(" \t").lower()
        if key not in _MORSEL_ATTRS:
            continue
        if key in _FLAG_ATTRS:
            _set_attr(morsel, key, True)  # a flag's value, if any, is ignored
            continue
        raw_value = attr_value.strip(" \t")
        # RFC 6265bis 5.6: over 1024 octets, the attribute is ignored. Octets, not characters,
        # and of the value as sent (quotes included), not of what unquoting leaves.
        raw_length = _utf8_length(raw_value)
        if raw_length is None or raw_length > MAX_ATTRIBUTE_VALUE_LENGTH:
            continue
        attr_value = _unquote(raw_value)  # as aiohttp: a quoted value loses its quotes only
        if _CTL_RE.search(attr_value) is not None:
            continue
        if key == "expires":
            if parse_cookie_date(attr_value) is None:
                continue  # an unparsable Expires is ignored, an earlier valid one stays
        elif key == "max-age":
            if _MAX_AGE_RE.fullmatch(attr_value) is None:
                continue
        elif key == "domain" and not attr_value:
            continue
        _set_attr(morsel, key, attr_value)
    return name, morsel


def parse_set_cookie_headers(headers: Sequence[str]) -> list[tuple[str, Morsel[str]]]:
    """Parse Set-Cookie field values (one cookie each), skipping the invalid ones.

    At most MAX_COOKIES_PER_RESPONSE cookies are returned.
    """
    parsed: list[tuple[str, Morsel[str]]] = []
    for field in headers:
        if (cookie := parse_set_cookie(field)) is not None:
            parsed.append(cookie)
            if len(parsed) >= MAX_COOKIES_PER_RESPONSE:
                break
    return parsed


# ---------------------------------------------------------------------------------------------
# Cookie header (RFC 6265 5.4), as a caller may set it in headers=


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """(name, value as sent) of each pair of a Cookie header, in order.

    Used to merge a Cookie header the caller set with the session's cookies. Pairs end at
    ';' except inside a double-quoted value; every pair is a cookie, even one named like an
    attribute ("path", "secure"); a name without '=' is a cookie with an empty value (as
    aiohttp reads it); invalid names are skipped.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in _attributes(header):
        name = name.strip(" \t")
        if name and _NAME_RE.fullmatch(name) is not None:
            pairs.append((name, value.strip(" \t")))
    return pairs
