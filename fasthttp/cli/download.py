"""--download: the body to a file (named by -o, the Content-Disposition or the URL), a progress
bar on stderr when it is a terminal (or FASTHTTP_PROGRESS=1), and -c to resume a partial file
with a Range request."""

from __future__ import annotations

import mimetypes
import os
import re
import sys
import time
from typing import Any, Optional
from urllib.parse import unquote

from yarl import URL

__all__ = ("filename_for", "resume_offset", "save")

_FILENAME_RE = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def filename_for(response: Any, url: URL) -> str:
    """httpie's rule: Content-Disposition's filename, else the URL's last segment (with an
    extension from the Content-Type when it has none), else `index`; never overwrite a file:
    `name-1`, `name-2`... when it exists."""
    name = ""
    match = _FILENAME_RE.search(response.headers.get("Content-Disposition", ""))
    if match:
        name = os.path.basename(unquote(match.group(1)).strip())
    if not name:
        name = os.path.basename(url.path.rstrip("/")) or "index"
        if "." not in name:
            extension = mimetypes.guess_extension(response.content_type or "") or ""
            name += extension
    candidate, counter = name, 0
    while os.path.exists(candidate):
        counter += 1
        candidate = f"{name}-{counter}"
    return candidate


def resume_offset(path: Optional[str]) -> int:
    try:
        return os.path.getsize(path) if path else 0
    except OSError:
        return 0


async def save(response: Any, path: str, offset: int) -> int:
    """Write the body to `path` (appended after `offset` bytes when the server sent a 206 for
    our Range); returns the bytes received."""
    appending = offset > 0 and response.status == 206
    total = response.content_length
    if total is not None and appending:
        total += offset
    done = offset if appending else 0
    started = time.monotonic()
    last_draw = 0.0
    show = sys.stderr.isatty() or os.environ.get("FASTHTTP_PROGRESS") == "1"
    with open(path, "ab" if appending else "wb") as handle:
        async for chunk in response.content.iter_chunked(65536):
            handle.write(chunk)
            done += len(chunk)
            now = time.monotonic()
            if show and now - last_draw > 0.1:
                last_draw = now
                _draw_progress(done, total, now - started)
    if show:
        _draw_progress(done, total, time.monotonic() - started, final=True)
    return done


def _draw_progress(done: int, total: Optional[int], elapsed: float, final: bool = False) -> None:
    rate = done / elapsed if elapsed > 0 else 0.0
    if total:
        fraction = min(done / total, 1.0)
        bar = "#" * int(fraction * 30)
        eta = (total - done) / rate if rate > 0 else 0.0
        line = f"\r[{bar:<30}] {size(done)}/{size(total)} {size(rate)}/s ETA {eta:4.1f}s"
    else:
        line = f"\r{size(done)} {size(rate)}/s"
    sys.stderr.write(line + ("\n" if final else ""))
    sys.stderr.flush()


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
