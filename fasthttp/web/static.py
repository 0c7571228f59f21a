"""Static files under a URL prefix (aiohttp.web's `add_static`): which file a path names.

Containment, as aiohttp.web:

- `follow_symlinks=False` (the default): the fully resolved path must lie inside the directory;
  a symlink that leads out of it answers 404, one that stays inside is served.
- `follow_symlinks=True`: the path as written (normalised, `..` applied, links not followed)
  must lie inside the directory; symlinks found there are followed wherever they lead.
- An absolute path after the prefix (`//host/share`, which would be a UNC path on Windows),
  NUL, and paths that cannot be resolved (loops) answer 404.
- A directory answers its index (`show_index=True`, an HTML list with aiohttp's markup) or 403.
- What the path names is then a FileResponse (ETag, ranges, conditional requests; 403 for
  what is not a regular file).
"""

from __future__ import annotations

import asyncio
import html
import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Final

from yarl import URL

from .exceptions import HTTPForbidden, HTTPNotFound
from .file_response import FileResponse
from .response import Response

__all__ = ("StaticFiles",)

_CHUNK: Final = 256 * 1024


class StaticFiles:
    """The handler of one static route: a directory served under a prefix."""

    def __init__(
        self,
        prefix: str,
        directory: Path,
        *,
        show_index: bool = False,
        follow_symlinks: bool = False,
        chunk_size: int = _CHUNK,
    ) -> None:
        self.prefix = prefix
        self.directory = directory
        self.show_index = show_index
        self.follow_symlinks = follow_symlinks
        self.chunk_size = chunk_size

    async def __call__(self, request: Any) -> Any:
        filename = request.match_info.get("filename", "")
        if "\x00" in filename or PurePosixPath(filename).is_absolute() or Path(filename).is_absolute():
            raise HTTPNotFound()
        loop = asyncio.get_running_loop()
        respond: Callable[[], Any] = await loop.run_in_executor(None, self._resolve, filename)
        return respond()

    def _resolve(self, filename: str) -> Callable[[], Any]:
        """In a thread (it touches the file system): what to answer, as a callable that
        builds the response on the loop."""
        unresolved = self.directory / filename
        try:
            if self.follow_symlinks:
                normalized = Path(os.path.normpath(unresolved))
                normalized.relative_to(self.directory)
                target = normalized.resolve()
            else:
                target = unresolved.resolve()
                target.relative_to(self.directory)
        except (ValueError, OSError, RuntimeError):  # outside, or a symlink loop
            return _raiser(HTTPNotFound)
        try:
            if target.is_dir():
                if not self.show_index:
                    return _raiser(HTTPForbidden)
                page = self._index_page(target)
                return lambda: Response(text=page, content_type="text/html")
        except PermissionError:
            return _raiser(HTTPForbidden)
        chunk_size = self.chunk_size
        return lambda: FileResponse(target, chunk_size=chunk_size)

    def _index_page(self, folder: Path) -> str:
        relative = folder.relative_to(self.directory).as_posix()
        title = f"Index of /{html.escape(relative)}"  # "/." for the top, as aiohttp.web
        items = []
        for entry in sorted(folder.iterdir()):
            path = f"{self.prefix}/{entry.relative_to(self.directory).as_posix()}"
            link = URL.build(path=path, encoded=False).raw_path
            label = entry.name + "/" if entry.is_dir() else entry.name
            items.append(f'<li><a href="{link}">{html.escape(label)}</a></li>')
        listing = "<ul>\n" + "\n".join(items) + "\n</ul>"
        return (
            f"<html>\n<head>\n<title>{title}</title>\n</head>\n"
            f"<body>\n<h1>{title}</h1>\n{listing}\n</body>\n</html>"
        )


def _raiser(exc_class: type[Exception]) -> Callable[[], Any]:
    def respond() -> Any:
        raise exc_class()

    return respond
