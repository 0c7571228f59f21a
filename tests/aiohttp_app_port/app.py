"""An aiohttp.web application as its authors wrote it (tests/test_aiohttp_app_port.py ports it
to fasthttp.web by changing the import below and nothing else)."""

import hashlib
import pathlib

from aiohttp import web

STATIC = pathlib.Path(__file__).parent / "static"
NOTES = web.AppKey("notes", dict)
TITLE = web.AppKey("title", str)


class NoteView(web.View):
    async def get(self):
        notes = self.request.app[NOTES]
        name = self.request.match_info["name"]
        if name not in notes:
            raise web.HTTPNotFound(text=f"no note {name}")
        return web.json_response({"name": name, "text": notes[name]})

    async def put(self):
        notes = self.request.app[NOTES]
        notes[self.request.match_info["name"]] = await self.request.text()
        return web.Response(status=201, text="stored")

    async def delete(self):
        self.request.app[NOTES].pop(self.request.match_info["name"], None)
        return web.Response(status=204)


async def index(request):
    return web.Response(text=f"index of {request.app[TITLE]}")


async def upload(request):
    """Multipart upload, streamed part by part."""
    reader = await request.multipart()
    out = {}
    async for part in reader:
        if part.filename:
            digest = hashlib.sha256()
            size = 0
            while chunk := await part.read_chunk():
                digest.update(chunk)
                size += len(chunk)
            out[part.name] = {"filename": part.filename, "size": size, "sha256": digest.hexdigest()}
        else:
            out[part.name] = await part.text()
    return web.json_response(out)


async def form(request):
    data = await request.post()
    upload = data["file"]
    return web.json_response({"title": data["title"], "file": upload.filename,
                              "content": upload.file.read().decode()})


async def chat(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close()
            else:
                await ws.send_str(f"{request.app[TITLE]} says: {msg.data}")
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data[::-1])
    return ws


@web.middleware
async def tag(request, handler):
    response = await handler(request)
    response.headers["X-App"] = request.app[TITLE]
    return response


async def api_version(request):
    return web.json_response({"version": 2, "url": str(request.app.router["note"].url_for(name="x y"))})


def make_api():
    api = web.Application(middlewares=[tag])
    api[TITLE] = "api"
    api[NOTES] = {}
    api.router.add_get("/version", api_version)
    api.router.add_view("/notes/{name}", NoteView, name="note")
    return api


def make_app():
    app = web.Application(middlewares=[tag])
    app[TITLE] = "main"
    app.router.add_get("/", index)
    app.router.add_post("/upload", upload)
    app.router.add_post("/form", form)
    app.router.add_get("/chat", chat)
    app.router.add_static("/static", STATIC, name="static")
    app.add_subapp("/api/", make_api())
    return app
