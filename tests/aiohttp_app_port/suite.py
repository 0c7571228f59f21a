"""The application's pytest suite, written for pytest-aiohttp's `aiohttp_client` fixture.
(Collected from a copy by tests/test_aiohttp_app_port.py, once as it is on aiohttp and once
with its imports changed to fasthttp.)"""

import hashlib

import aiohttp
import pytest

from app import make_app


@pytest.fixture
async def client(aiohttp_client):
    return await aiohttp_client(make_app())


async def test_index(client):
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.text() == "index of main"
    assert resp.headers["X-App"] == "main"


async def test_static_files(client):
    resp = await client.get("/static/style.css")
    assert resp.status == 200
    assert await resp.text() == "body { color: teal; }\n"
    assert resp.headers["Content-Type"].startswith("text/css")
    etag = resp.headers["ETag"]
    again = await client.get("/static/style.css", headers={"If-None-Match": etag})
    assert again.status == 304
    part = await client.get("/static/style.css", headers={"Range": "bytes=0-3"})
    assert part.status == 206 and await part.read() == b"body"
    missing = await client.get("/static/nope.css")
    assert missing.status == 404
    escape = await client.get("/static/../app.py")
    assert escape.status in (403, 404)


async def test_subapp_and_view(client):
    resp = await client.get("/api/version")
    assert await resp.json() == {"version": 2, "url": "/api/notes/x%20y"}
    assert resp.headers["X-App"] == "main"  # the parent's middleware runs last, with its app
    resp = await client.put("/api/notes/todo", data="buy milk")
    assert resp.status == 201
    resp = await client.get("/api/notes/todo")
    assert await resp.json() == {"name": "todo", "text": "buy milk"}
    resp = await client.post("/api/notes/todo")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) == {"GET", "PUT", "DELETE"}
    resp = await client.delete("/api/notes/todo")
    assert resp.status == 204
    resp = await client.get("/api/notes/todo")
    assert resp.status == 404 and await resp.text() == "no note todo"


async def test_multipart_upload(client):
    blob = bytes(range(256)) * 1000
    form = aiohttp.FormData()
    form.add_field("comment", "a file")
    form.add_field("file", blob, filename="blob.bin", content_type="application/octet-stream")
    resp = await client.post("/upload", data=form)
    assert resp.status == 200
    assert await resp.json() == {
        "comment": "a file",
        "file": {"filename": "blob.bin", "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()},
    }


async def test_form_post(client):
    form = aiohttp.FormData()
    form.add_field("title", "notes")
    form.add_field("file", b"line one\n", filename="n.txt", content_type="text/plain")
    resp = await client.post("/form", data=form)
    assert await resp.json() == {"title": "notes", "file": "n.txt", "content": "line one\n"}


async def test_websocket(client):
    ws = await client.ws_connect("/chat")
    await ws.send_str("hi")
    assert await ws.receive_str() == "main says: hi"
    await ws.send_bytes(b"abc")
    assert await ws.receive_bytes() == b"cba"
    await ws.send_str("close")
    msg = await ws.receive()
    assert msg.type == aiohttp.WSMsgType.CLOSE
    await ws.close()


async def test_server_fixture(aiohttp_server, aiohttp_unused_port):
    port = aiohttp_unused_port()
    server = await aiohttp_server(make_app(), port=port)
    assert server.port == port
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.text() == "index of main"
