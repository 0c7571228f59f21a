"""FileResponse: a file sent in pieces read off the event loop (aiohttp.web.FileResponse).

The head declares the file's size when the response starts, and exactly that many bytes follow,
whatever happens to the file meanwhile: a file that grows is cut at the declared size (more
would be read by a keep-alive client as the start of the next response); one that shrinks
cannot fill the declared body, so the response fails (logged) and the connection closes, which
tells the client the body is incomplete.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from .. import hdrs
from .response import StreamResponse

if TYPE_CHECKING:
    from .request import Request

__all__ = ("FileResponse",)

_CHUNK = 256 * 1024


class FileResponse(StreamResponse):
    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        chunk_size: int = _CHUNK,
        status: int = 200,
        reason: Optional[str] = None,
        headers: Any = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = Path(path)
        self._chunk_size = chunk_size

    async def prepare(self, request: "Request") -> Any:
        loop = asyncio.get_running_loop()
        try:
            stat = await loop.run_in_executor(None, self._path.stat)
        except OSError:
            from .exceptions import HTTPNotFound

            raise HTTPNotFound() from None
        if hdrs.CONTENT_TYPE not in self.headers:
            ctype, encoding = mimetypes.guess_type(str(self._path))
            self.headers[hdrs.CONTENT_TYPE] = ctype or "application/octet-stream"
        self.headers.setdefault(hdrs.LAST_MODIFIED, formatdate(stat.st_mtime, usegmt=True))
        self.headers[hdrs.CONTENT_LENGTH] = str(stat.st_size)
        await super().prepare(request)
        if request.method == "HEAD":
            self._eof_sent = True
            return None
        handle = await loop.run_in_executor(None, open, self._path, "rb")
        left = stat.st_size
        chunk_size = self._chunk_size
        try:
            while left > 0:
                chunk = await loop.run_in_executor(None, handle.read, min(chunk_size, left))
                if not chunk:
                    raise FileShrankError(
                        f"{self._path} shrank while it was sent: {stat.st_size - left} of the"
                        f" {stat.st_size} bytes declared in Content-Length"
                    )
                left -= len(chunk)
                await self.write(chunk)
        finally:
            await loop.run_in_executor(None, handle.close)
        await self.write_eof()
        return None


class FileShrankError(OSError):
    """The file ended before the size its response declared (the connection is closed)."""
