"""Small value types shared by the protocol layers."""

from __future__ import annotations

from typing import Final, NamedTuple


class HttpVersion(NamedTuple):
    """An HTTP version as (major, minor); compares and unpacks like a tuple."""

    major: int
    minor: int


HttpVersion10: Final = HttpVersion(1, 0)
HttpVersion11: Final = HttpVersion(1, 1)
