"""Conditional and range requests (RFC 9110 sections 13 and 14): the header grammar.

What a request's If-* and Range headers say, parsed once; what to answer is decided by the
responses that support them (FileResponse). Names and shapes as aiohttp.web's: `ETag`,
`request.if_match` / `if_none_match` (tuples of ETag, or None), the date headers as aware
datetimes, `request.http_range` as a slice.
"""

from __future__ import annotations

import datetime
import re
from email.utils import parsedate_to_datetime
from typing import Final, NamedTuple, Optional, Union

__all__ = (
    "ETag",
    "ETAG_ANY",
    "parse_etags",
    "parse_http_date",
    "etag_matches",
    "ByteRange",
    "parse_byte_ranges",
    "MAX_RANGES",
)

ETAG_ANY: Final = "*"

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = "!" / %x23-7E / obs-text
# (At least one etagc, as aiohttp: an empty tag `""` is refused when set and not read in lists.)
_ETAGC: Final = r"[!\x23-\x7e\x80-\xff]+"
_ETAG_VALUE_RE: Final = re.compile(_ETAGC)
_ETAG_LIST_ITEM_RE: Final = re.compile(r'[ \t]*(W/)?"(' + _ETAGC + r')"[ \t]*(?:,|$)')


class ETag(NamedTuple):
    """An entity tag: its opaque value (without quotes) and whether it is weak."""

    value: str
    is_weak: bool = False


def check_etag_value(value: str) -> None:
    """ValueError unless `value` can be sent inside an ETag's quotes."""
    if value != ETAG_ANY and not _ETAG_VALUE_RE.fullmatch(value):
        raise ValueError(f"Value {value!r} is not a valid etag value (RFC 9110 section 8.8.3)")


def parse_etags(header: Optional[str]) -> Optional[tuple[ETag, ...]]:
    """If-Match / If-None-Match: None when absent or empty; `(ETag("*"),)` for `*`.

    A list that stops parsing (garbage after a valid tag) keeps the tags before it, as
    aiohttp does: a condition then fails closed for If-Match and open for If-None-Match.
    """
    if not header:
        return None
    if header.strip(" \t") == ETAG_ANY:
        return (ETag(ETAG_ANY),)
    tags = []
    pos = 0
    while pos < len(header):
        match = _ETAG_LIST_ITEM_RE.match(header, pos)
        if match is None:
            break
        tags.append(ETag(match.group(2), bool(match.group(1))))
        pos = match.end()
    return tuple(tags)


def etag_matches(current: str, tags: tuple[ETag, ...], *, weak: bool) -> bool:
    """Whether the representation's (strong) tag `current` is in `tags`: the weak comparison
    (If-None-Match) ignores W/; the strong one (If-Match, If-Range) never matches a weak tag."""
    if len(tags) == 1 and tags[0].value == ETAG_ANY:
        return True
    return any(tag.value == current for tag in tags if weak or not tag.is_weak)


def parse_http_date(header: Optional[str]) -> Optional[datetime.datetime]:
    """An HTTP-date as an aware UTC datetime; None when absent or not a date (RFC 9110
    section 13.1.3: an invalid date makes the condition be ignored)."""
    if not header:
        return None
    try:
        value = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


# --- Range ------------------------------------------------------------------------------------

#: More byte ranges than this in one request are not served as asked (RFC 9110 section 14.2
#: lets a server refuse many small or overlapping ranges: each part costs a part header, and
#: overlapping ones would repeat the file). The whole representation is sent instead (200).
MAX_RANGES: Final = 16

_RANGE_SPEC_RE: Final = re.compile(r"[ \t]*(\d*)-(\d*)[ \t]*")
# Positions past this are past any file: longer digit strings are not converted (int() of
# thousands of digits is slow, and refused past 4300).
_HUGE: Final = 10**18


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else _HUGE


class ByteRange(NamedTuple):
    """A satisfiable range of a representation: first byte and length."""

    start: int
    length: int


def parse_byte_ranges(header: str, size: int) -> Union[list[ByteRange], str, None]:
    """The ranges of a `Range` header for a representation of `size` bytes.

    Returns the satisfiable ranges, sorted, with overlapping and adjacent ones merged (RFC 9110
    section 14.2: a server may coalesce; merging means a client can never get a byte twice, so
    the answer is never larger than the file plus the part headers); "unsatisfiable" (416) when
    the header is bytes ranges none of which falls in the representation; "invalid" (416) when
    it is malformed; None when it is to be ignored (another range unit, which RFC 9110 section
    14.2 says to ignore, or more than MAX_RANGES ranges): the whole representation is sent.
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip(" \t").lower() != "bytes":
        return None if sep and _is_token(unit.strip(" \t")) else "invalid"
    items = spec.split(",")
    if len(items) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    saw_range = False
    for item in items:
        if not item.strip(" \t"):
            continue  # RFC 9110 5.6.1: empty list elements are ignored
        match = _RANGE_SPEC_RE.fullmatch(item)
        if match is None:
            return "invalid"
        first, last = match.groups()
        saw_range = True
        if first:
            start = _position(first)
            if last:
                end = _position(last)
                if end < start:
                    return "invalid"
                end = min(end, size - 1)
            else:
                end = size - 1
            if start >= size:
                continue  # this one is unsatisfiable; another may not be
        elif last:
            suffix = _position(last)
            if suffix == 0:
                continue
            start = max(0, size - suffix)
            end = size - 1
        else:
            return "invalid"  # "-" alone
        ranges.append(ByteRange(start, end - start + 1))
    if not saw_range:
        return "invalid"
    if not ranges:
        return "unsatisfiable"
    ranges.sort()
    merged = [ranges[0]]
    for start, length in ranges[1:]:
        last_start, last_length = merged[-1]
        if start <= last_start + last_length:  # overlapping or adjacent
            merged[-1] = ByteRange(last_start, max(last_length, start + length - last_start))
        else:
            merged.append(ByteRange(start, length))
    return merged


_TOKEN_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _is_token(text: str) -> bool:
    return _TOKEN_RE.fullmatch(text) is not None
