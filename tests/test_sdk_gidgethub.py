"""gidgethub's aiohttp GitHubAPI (a GitHub client) on an injected session:
gidgethub.aiohttp.GitHubAPI(session, requester, oauth_token=..., base_url=...).

A fake GitHub API on 127.0.0.1: Link-header pagination (`getiter`), a JSON post, and the
errors gidgethub derives from statuses and rate-limit headers (BadRequest, RateLimitExceeded,
GitHubBroken); a connection error is aiohttp's, let through.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from gidgethub.aiohttp import GitHubAPI

from client_servers import async_test, free_port, web_server
from sdk_sessions import outcome, run_both

ISSUES = [{"number": n, "title": f"issue {n}"} for n in range(1, 6)]


def _fake_github() -> web.Application:
    def rate_headers(remaining: int = 4999) -> dict[str, str]:
        return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": "2000000000"}

    async def issues(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "token gh-token"
        page = int(request.query.get("page", "1"))
        per_page = 2
        headers = rate_headers()
        last = (len(ISSUES) + per_page - 1) // per_page
        if page < last:
            base = f"{request.url.with_query({})}"
            headers["Link"] = (
                f'<{base}?page={page + 1}>; rel="next", <{base}?page={last}>; rel="last"'
            )
        return web.json_response(ISSUES[(page - 1) * per_page : page * per_page], headers=headers)

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"number": 6, "title": body["title"]}, status=201, headers=rate_headers())

    async def missing(request: web.Request) -> web.Response:
        return web.json_response({"message": "Not Found"}, status=404, headers=rate_headers())

    async def limited(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "API rate limit exceeded"}, status=403, headers=rate_headers(0)
        )

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"message": "oops"}, status=502, headers=rate_headers())

    app = web.Application()
    app.router.add_get("/repos/o/r/issues", issues)
    app.router.add_post("/repos/o/r/issues", create)
    app.router.add_get("/repos/o/missing", missing)
    app.router.add_get("/rate_limited", limited)
    app.router.add_get("/broken", broken)
    return app


def _github_error(exc: BaseException) -> Any:
    status = getattr(exc, "status_code", None)
    return int(status) if status is not None else None, str(exc)


@async_test(60)
async def test_pagination_post_and_status_errors() -> None:
    async with web_server(_fake_github()) as base:
        async def scenario(session: Any) -> Any:
            gh = GitHubAPI(session, "fasthttp-tests", oauth_token="gh-token", base_url=base)

            async def all_issues() -> Any:
                return [issue["number"] async for issue in gh.getiter("/repos/o/r/issues")]

            async def rate_limit() -> Any:
                return gh.rate_limit.remaining if gh.rate_limit else None

            return (
                await outcome(all_issues()),
                await outcome(gh.post("/repos/o/r/issues", data={"title": "new"})),
                await outcome(rate_limit()),
                await outcome(gh.getitem("/repos/o/missing"), _github_error),
                await outcome(gh.getitem("/rate_limited"), _github_error),
                await outcome(gh.getitem("/broken"), _github_error),
            )

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"]
    assert records["fasthttp"][:3] == (
        ("ok", [1, 2, 3, 4, 5]), ("ok", {"number": 6, "title": "new"}), ("ok", 4999),
    )
    assert [record[:2] for record in records["fasthttp"][3:]] == [
        ("raised", "gidgethub.BadRequest"),
        ("raised", "gidgethub.RateLimitExceeded"),
        ("raised", "gidgethub.GitHubBroken"),
    ]
    assert records["fasthttp"][3][2][0] == 404


@async_test(60)
async def test_connection_error_is_aiohttps() -> None:
    port = free_port()  # nothing listens there

    async def scenario(session: Any) -> Any:
        gh = GitHubAPI(session, "fasthttp-tests", base_url=f"http://127.0.0.1:{port}")
        return await outcome(gh.getitem("/anything"), lambda exc: exc.port)  # type: ignore[attr-defined]

    records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == ("raised", "aiohttp.ClientConnectorError", port)
