"""The access log: one line a served request, in Apache-style format directives (aiohttp.web's).

`AccessLogger(logger, log_format)` writes to a `logging.Logger` at INFO, by default the
`fasthttp.access` logger (aiohttp.web's is `aiohttp.access`) with aiohttp's default format
`%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"`. A subclass of `AbstractAccessLogger`
passed as `access_log_class` replaces it; `access_log=None` turns logging off.

Directives (aiohttp's):

    %%          a percent sign
    %a          the peer's address (request.remote)
    %t          when the request started, [day/Mon/year:H:M:S +zone], local time
    %P          the process id, as <pid>
    %r          the request line: method, path with query, version
    %s          the response status
    %b          the response size in bytes, head included
    %T          seconds taken, rounded; %Tf with a six-digit fraction; %D microseconds
    %{Name}i    a request header ("-" when absent); %{Name}o a response header
    %{NAME}e    an environment variable ("-" when unset; aiohttp documents it but raises)

(`%%` gives one percent sign; aiohttp turns it into a broken template and logs "Error in
logging" instead of every line.)

Each record also carries the values as `extra` fields (remote_address, request_start_time,
first_request_line, response_status, response_size, request_time, request_time_frac,
request_time_micro, process_id, and request_header / response_header / environ as dicts), as
aiohttp's records do, for structured log handlers.

Cost: with `access_log=None` the server does nothing per request; with a logger that is not
enabled for INFO (the default logging set-up), one `isEnabledFor` check a request.
"""

from __future__ import annotations

import abc
import datetime
import logging
import os
import re
import time as time_module
from typing import TYPE_CHECKING, Any, Callable, Final, Union

if TYPE_CHECKING:
    from .request import Request
    from .response import StreamResponse

__all__ = ("AbstractAccessLogger", "AccessLogger", "access_logger", "DEFAULT_FORMAT")

access_logger: Final = logging.getLogger("fasthttp.access")
DEFAULT_FORMAT: Final = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'


class AbstractAccessLogger(abc.ABC):
    """What the server calls once a request is answered (aiohttp.abc.AbstractAccessLogger)."""

    __slots__ = ("logger", "log_format")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abc.abstractmethod
    def log(self, request: "Request", response: "StreamResponse", time: float) -> None:
        """Write the line for `request`, answered with `response` in `time` seconds."""

    @property
    def enabled(self) -> bool:
        """Whether log() is worth calling (checked before the request is timed)."""
        return True


_Field = Callable[["Request", "StreamResponse", float], Any]
_DIRECTIVE_RE: Final = re.compile(r"%(?:\{([A-Za-z0-9\-_]+)\}([ioe])|(Tf|[atPrsbTD]))")
_HEADER_KIND: Final = {"i": "request_header", "o": "response_header", "e": "environ"}
_SIMPLE_NAME: Final = {
    "a": "remote_address",
    "t": "request_start_time",
    "P": "process_id",
    "r": "first_request_line",
    "s": "response_status",
    "b": "response_size",
    "T": "request_time",
    "Tf": "request_time_frac",
    "D": "request_time_micro",
}


def _remote(request: "Request", response: "StreamResponse", time: float) -> str:
    return request.remote or "-"


def _start_time(request: "Request", response: "StreamResponse", time: float) -> str:
    # The text changes once a second: formatted once for each second (and zone).
    global _start_second, _start_zone, _start_text
    started = time_module.time() - time
    if _zone is None or started >= _zone_expires:
        _local_now()  # looks the zone up again
    second = int(started)
    if second != _start_second or _zone is not _start_zone:
        _start_zone = _zone
        _start_second = second
        _start_text = datetime.datetime.fromtimestamp(second, _zone).strftime("[%d/%b/%Y:%H:%M:%S %z]")
    return _start_text


def _pid(request: "Request", response: "StreamResponse", time: float) -> str:
    return f"<{os.getpid()}>"


def _request_line(request: "Request", response: "StreamResponse", time: float) -> str:
    version = request.version
    return f"{request.method} {request.path_qs} HTTP/{version[0]}.{version[1]}"


def _status(request: "Request", response: "StreamResponse", time: float) -> int:
    return response.status


def _size(request: "Request", response: "StreamResponse", time: float) -> int:
    return response.body_length


def _seconds(request: "Request", response: "StreamResponse", time: float) -> str:
    return str(round(time))


def _seconds_fraction(request: "Request", response: "StreamResponse", time: float) -> str:
    return "%06f" % time


def _microseconds(request: "Request", response: "StreamResponse", time: float) -> str:
    return str(round(time * 1_000_000))


_SIMPLE: Final[dict[str, _Field]] = {
    "a": _remote, "t": _start_time, "P": _pid, "r": _request_line, "s": _status, "b": _size,
    "T": _seconds, "Tf": _seconds_fraction, "D": _microseconds,
}


def _header_field(kind: str, name: str) -> _Field:
    if kind == "i":
        return lambda request, response, time: request.headers.get(name, "-")
    if kind == "o":
        return lambda request, response, time: response.headers.get(name, "-")
    return lambda request, response, time: os.environ.get(name, "-")


# The local zone's offset, looked up again every half hour (a DST change happens on the hour or
# the half hour); formatting %t then costs no tz lookup.
_zone: Union[datetime.timezone, None] = None
_zone_expires = 0.0
# %t of the last request: the second and zone it was formatted for, and the text.
_start_second = -1
_start_zone: Union[datetime.timezone, None] = None
_start_text = ""


def _local_now() -> datetime.datetime:
    global _zone, _zone_expires
    if _zone is None or time_module.time() >= _zone_expires:
        _zone = datetime.timezone(datetime.timedelta(seconds=time_module.localtime().tm_gmtoff))
        now = datetime.datetime.now(_zone)
        later = now + datetime.timedelta(minutes=30)
        later = later.replace(minute=30 if later.minute >= 30 else 0, second=0, microsecond=0)
        _zone_expires = later.timestamp()
        return now
    return datetime.datetime.now(_zone)


class AccessLogger(AbstractAccessLogger):
    """The default access logger: `log_format` compiled once into a %-template and fields."""

    __slots__ = ("_template", "_fields")

    LOG_FORMAT = DEFAULT_FORMAT
    _compiled: dict[str, tuple[str, list[tuple[Union[str, tuple[str, str]], _Field]]]] = {}

    def __init__(self, logger: logging.Logger, log_format: str = DEFAULT_FORMAT) -> None:
        super().__init__(logger, log_format)
        compiled = self._compiled.get(log_format)
        if compiled is None:
            compiled = self._compiled[log_format] = _compile(log_format)
        self._template, self._fields = compiled

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: "Request", response: "StreamResponse", time: float) -> None:
        try:
            values = []
            extra: dict[str, Any] = {}
            for key, field in self._fields:
                value = field(request, response, time)
                values.append(value)
                if isinstance(key, str):
                    extra[key] = value
                else:
                    extra.setdefault(key[0], {})[key[1]] = value
            self.logger.info(self._template % tuple(values), extra=extra)
        except Exception:
            self.logger.exception("Error in logging")


def _compile(log_format: str) -> tuple[str, list[tuple[Union[str, tuple[str, str]], _Field]]]:
    """`log_format` as a %-template (each directive a %s, every other % doubled) and the
    fields that fill it, in order."""
    fields: list[tuple[Union[str, tuple[str, str]], _Field]] = []
    pieces = []
    pos = 0
    for match in _DIRECTIVE_RE.finditer(log_format):
        pieces.append(log_format[pos : match.start()].replace("%%", "\0").replace("%", "%%").replace("\0", "%%"))
        pieces.append("%s")
        name, kind, simple = match.groups()
        if simple:
            fields.append((_SIMPLE_NAME[simple], _SIMPLE[simple]))
        else:
            fields.append(((_HEADER_KIND[kind], name), _header_field(kind, name)))
        pos = match.end()
    pieces.append(log_format[pos:].replace("%%", "\0").replace("%", "%%").replace("\0", "%%"))
    return "".join(pieces), fields
