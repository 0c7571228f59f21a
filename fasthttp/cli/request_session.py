"""--session NAME: cookies, auth and headers kept between runs in a JSON file, as httpie keeps
them. A bare name is per host (`sessions/HOST_PORT/NAME.json` under $FASTHTTP_CONFIG_DIR, default
~/.config/fasthttp); a name holding a path separator or ending in .json is that file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from yarl import URL

from .request_items import UsageError

__all__ = ("Session", "session_path", "load_session")

# Headers that describe one request's body or condition are not kept (httpie's rule).
_NOT_KEPT_PREFIXES = ("content-", "if-")
_NOT_KEPT = frozenset({"cookie", "host", "content-length"})


def config_dir() -> str:
    return os.environ.get("FASTHTTP_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".config", "fasthttp")


def session_path(name: str, url: URL) -> str:
    if os.path.sep in name or name.endswith(".json"):
        return os.path.expanduser(name)
    host = (url.host or "localhost").replace(":", "_")
    if url.port and not url.is_default_port():
        host = f"{host}_{url.port}"
    return os.path.join(config_dir(), "sessions", host, f"{name}.json")


@dataclass
class Session:
    path: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[dict[str, Any]] = field(default_factory=list)
    auth: Optional[dict[str, str]] = None

    def update_headers(self, sent: list[tuple[str, str]]) -> None:
        kept = {name.lower(): (name, value) for name, value in self.headers}
        for name, value in sent:
            lower = name.lower()
            if lower in _NOT_KEPT or lower.startswith(_NOT_KEPT_PREFIXES):
                continue
            kept[lower] = (name, value)
        self.headers = list(kept.values())

    def save(self) -> None:
        document: dict[str, Any] = {
            "__meta__": {"about": "fasthttp session file (httpie's layout)"},
            "headers": [{"name": name, "value": value} for name, value in self.headers],
            "cookies": self.cookies,
            "auth": self.auth or {"type": None, "raw_auth": None},
        }
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        temporary = self.path + ".tmp"
        # The file may hold credentials: readable by its owner only.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=4)
            handle.write("\n")
        os.replace(temporary, self.path)


def load_session(name: str, url: URL) -> Session:
    path = session_path(name, url)
    session = Session(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return session
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read session {path}: {exc}") from None
    headers = document.get("headers") or []
    if isinstance(headers, dict):  # httpie < 3 kept a mapping
        headers = [{"name": k, "value": v} for k, v in headers.items()]
    session.headers = [(str(h["name"]), str(h["value"])) for h in headers]
    cookies = document.get("cookies") or []
    if isinstance(cookies, dict):
        cookies = [dict(value, name=key) for key, value in cookies.items()]
    session.cookies = [dict(cookie) for cookie in cookies]
    auth = document.get("auth") or {}
    if auth.get("type") and auth.get("raw_auth") is not None:
        session.auth = {"type": str(auth["type"]), "raw_auth": str(auth["raw_auth"])}
    return session
