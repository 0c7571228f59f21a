"""aiodocker (a streaming client) on an injected session: aiodocker.Docker(url=..., session=...).

A fake Docker Engine API on 127.0.0.1, reached as aiodocker builds its URLs from a
`tcp://host:port` DOCKER_HOST (aiohttp takes tcp:// as plain HTTP). Streams: a pull's
progress as JSON lines (read with `yield from content.readline()`), a container's log
followed as Docker's multiplexed frames (`content.readexactly`), and an in-band stream error
(DockerStreamError). Errors: a 404 (DockerError with the engine's message) and a connection
failure (aiodocker catches aiohttp.ClientConnectionError: DockerError 900). aiodocker passes
`timeout=aiohttp.ClientTimeout(...)` on every call.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from aiodocker import Docker
from aiodocker.exceptions import DockerError
from aiohttp import web

from client_servers import async_test, free_port, web_server
from sdk_sessions import outcome, run_both


def _fake_engine() -> web.Application:
    async def version(request: web.Request) -> web.Response:
        return web.json_response({"ApiVersion": "1.43", "Version": "24.0.0"})

    async def containers(request: web.Request) -> web.Response:
        return web.json_response([{"Id": "abc123", "Names": ["/web"], "State": "running"}])

    async def inspect(request: web.Request) -> web.Response:
        if request.match_info["id"] != "abc123":
            return web.Response(  # as the engine sends it: no charset parameter
                body=b'{"message": "No such container: nope"}', status=404,
                headers={"Content-Type": "application/json"},
            )
        return web.json_response({"Id": "abc123", "Config": {"Tty": False}})

    async def pull(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        lines: list[dict[str, Any]] = [
            {"status": f"Pulling from library/{request.query['fromImage']}", "id": request.query["tag"]},
            {"status": "Downloading", "progressDetail": {"current": 512, "total": 1024}, "id": "l1"},
            {"status": "Download complete", "id": "l1"},
        ]
        if request.query["fromImage"] == "denied":
            lines.append({"errorDetail": {"message": "denied: no access"}, "error": "denied: no access"})
        for line in lines:
            # Split inside a line too: the client must join the pieces of a line.
            data = json.dumps(line).encode() + b"\r\n"
            await response.write(data[:7])
            await asyncio.sleep(0.005)
            await response.write(data[7:])
        await response.write_eof()
        return response

    async def logs(request: web.Request) -> web.StreamResponse:
        assert request.query["follow"] == "1" and request.query["stdout"] == "1"
        response = web.StreamResponse(headers={"Content-Type": "application/vnd.docker.raw-stream"})
        await response.prepare(request)
        for stream, text in ((1, "starting\n"), (2, "warning: x\n"), (1, "ready\n")):
            payload = text.encode()
            await response.write(struct.pack(">BxxxL", stream, len(payload)))
            await asyncio.sleep(0.005)
            await response.write(payload)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/version", version)
    app.router.add_get("/v1.43/containers/json", containers)
    app.router.add_get("/v1.43/containers/{id}/json", inspect)
    app.router.add_get("/v1.43/containers/{id}/logs", logs)
    app.router.add_post("/v1.43/images/create", pull)
    return app


def _docker_error(exc: BaseException) -> Any:
    assert isinstance(exc, DockerError)
    return exc.status, exc.message


@async_test(60)
async def test_streams_and_errors_as_with_aiohttp() -> None:
    async with web_server(_fake_engine()) as base:
        tcp_host = base.replace("http://", "tcp://")

        async def scenario(session: Any) -> Any:
            docker = Docker(url=tcp_host, session=session)
            try:
                async def listed() -> Any:
                    return [c.id for c in await docker.containers.list()]

                async def pulled(image: str) -> Any:
                    return [item.get("status") async for item in docker.images.pull(image, stream=True)]

                async def followed() -> Any:
                    container = await docker.containers.get("abc123")
                    return [line async for line in container.log(stdout=True, stderr=True, follow=True)]

                return (
                    await outcome(listed()),
                    await outcome(pulled("alpine")),
                    await outcome(followed()),
                    await outcome(pulled("denied"), _docker_error),
                    await outcome(docker.containers.get("nope"), _docker_error),
                )
            finally:
                await docker.close()

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"]
    assert records["fasthttp"][:3] == (
        ("ok", ["abc123"]),
        ("ok", ["Pulling from library/alpine", "Downloading", "Download complete"]),
        ("ok", ["starting\n", "warning: x\n", "ready\n"]),
    )
    assert records["fasthttp"][3][:2] == ("raised", "aiodocker.DockerStreamError")
    assert records["fasthttp"][4] == (
        "raised", "aiodocker.DockerError", (404, "No such container: nope")
    )


@async_test(60)
async def test_connection_error_is_dockers() -> None:
    port = free_port()  # nothing listens there

    async def scenario(session: Any) -> Any:
        docker = Docker(url=f"tcp://127.0.0.1:{port}", session=session)
        try:
            return await outcome(docker.version(), lambda exc: _docker_error(exc)[0])
        finally:
            await docker.close()

    records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == ("raised", "aiodocker.DockerError", 900)
