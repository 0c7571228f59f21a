"""aiohttp.web handlers that tell a test what the server received: `echo` (method, path, query,
headers, content type, body) and `multipart` (each part, parsed by aiohttp's own reader)."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web


def _headers(request: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


async def echo(request: Any) -> Any:
    body = await request.read()
    return web.json_response({
        "method": request.method,
        "path": request.path,
        "query": [[k, v] for k, v in request.query.items()],
        "headers": _headers(request),
        "content_type": request.content_type,
        "body_b64": base64.b64encode(body).decode(),
    })


async def multipart(request: Any) -> Any:
    reader = await request.multipart()
    parts = []
    async for part in reader:
        data = await part.read()
        parts.append({
            "name": part.name, "filename": part.filename,
            "content_type": part.headers.get("Content-Type"),
            "data_b64": base64.b64encode(bytes(data)).decode(),
        })
    return web.json_response({"content_type": request.content_type, "parts": parts})


async def received(request: Any) -> Any:
    """What matters of a request, independent of how a client spells it: the JSON body parsed,
    form and multipart bodies parsed by aiohttp (a file part as [filename, content type, text]),
    and any other body as text."""
    parsed: Any
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # before read(): the multipart reader takes the stream
        parsed = [[name, [value.filename, value.content_type, value.file.read().decode()]
                   if isinstance(value, web.FileField) else value] for name, value in form.items()]
    else:
        parsed = (await request.read()).decode("utf-8", "replace")
        if request.content_type == "application/json" and parsed:
            try:
                parsed = {"json": json.loads(parsed)}
            except ValueError:
                pass
    return web.json_response({
        "method": request.method,
        "path": request.path,
        "query": [[k, v] for k, v in request.query.items()],
        "headers": _headers(request),
        "content_type": request.content_type,
        "body": parsed,
    })
