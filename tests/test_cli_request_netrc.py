""".netrc credentials (httpie's, through requests): $NETRC or ~/.netrc, the machine entry else the
default one, --ignore-netrc, credentials given on the command line winning, a broken file
named in a warning; what an aiohttp.web server on 127.0.0.1 receives, and httpie alongside."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from typing import Any, Iterator, Optional

import pytest

from cli_echo import echo
from cli_helpers import PYTHON, REPO, ThreadLoop, cli_env, run_cli, web_server

web: Any = pytest.importorskip("aiohttp.web")

NETRC = "machine 127.0.0.1\n  login alice\n  password s3cret\n\ndefault login anyone password pw\n"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    tl = ThreadLoop()
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    try:
        with web_server(tl, app) as url:
            yield url
    finally:
        tl.close()


@pytest.fixture()
def netrc_file(tmp_path: Any) -> str:
    path = tmp_path / "netrc"
    path.write_text(NETRC)
    os.chmod(path, 0o600)
    return str(path)


def env_for(netrc_path: Optional[str], **extra: str) -> dict[str, str]:
    env = cli_env(**extra)
    for name in ("NETRC", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        env.pop(name, None)
    if netrc_path is not None:
        env["NETRC"] = netrc_path
    env.update(extra)
    return env


def sent_authorization(url: str, *args: str, env: dict[str, str]) -> Optional[str]:
    run = run_cli(*args, url, env=env)
    assert run.code == 0, run
    value = json.loads(run.out)["headers"].get("authorization")
    return None if value is None else str(value)


def test_netrc_machine_entry_is_sent_as_basic_auth_as_httpie_does(base: str, netrc_file: str) -> None:
    env = env_for(netrc_file)
    assert sent_authorization(f"{base}/echo", env=env) == basic("alice", "s3cret")
    pytest.importorskip("httpie")
    proc = subprocess.run([PYTHON, "-m", "httpie", "--ignore-stdin", f"{base}/echo"], capture_output=True,
                          timeout=60, cwd=REPO, env=dict(env, HTTPIE_CONFIG_DIR=REPO + "/.no-httpie-config"))
    assert json.loads(proc.stdout)["headers"]["authorization"] == basic("alice", "s3cret")


def test_netrc_default_entry_for_other_hosts(base: str, netrc_file: str) -> None:
    url = base.replace("127.0.0.1", "localhost") + "/echo"
    assert sent_authorization(url, env=env_for(netrc_file)) == basic("anyone", "pw")


def test_no_entry_no_credentials(base: str, tmp_path: Any) -> None:
    path = tmp_path / "netrc"
    path.write_text("machine example.org login x password y\n")
    assert sent_authorization(f"{base}/echo", env=env_for(str(path))) is None


def test_home_netrc_is_read_without_the_variable(base: str, tmp_path: Any) -> None:
    (tmp_path / ".netrc").write_text(NETRC)
    os.chmod(tmp_path / ".netrc", 0o600)
    env = env_for(None, HOME=str(tmp_path))
    assert sent_authorization(f"{base}/echo", env=env) == basic("alice", "s3cret")


def test_ignore_netrc(base: str, netrc_file: str) -> None:
    assert sent_authorization(f"{base}/echo", "--ignore-netrc", env=env_for(netrc_file)) is None


def test_credentials_given_on_the_command_line_win(base: str, netrc_file: str) -> None:
    env = env_for(netrc_file)
    assert sent_authorization(f"{base}/echo", "-a", "bob:pw2", env=env) == basic("bob", "pw2")
    assert sent_authorization(f"{base}/echo", "-A", "bearer", "-a", "tok", env=env) == "Bearer tok"
    # Where fasthttp differs on purpose: httpie (requests) would replace the item with .netrc's.
    run = run_cli(f"{base}/echo", "Authorization:Token mine", env=env)
    assert run.code == 0 and json.loads(run.out)["headers"]["authorization"] == "Token mine", run
    with_user = base.replace("http://", "http://carol:pw3@") + "/echo"
    assert sent_authorization(with_user, env=env) == basic("carol", "pw3")


def test_proxy_variables_do_not_bring_the_clients_netrc_back(base: str, netrc_file: str) -> None:
    # A proxy variable makes the command pass trust_env=True, which also reads .netrc in the
    # client; the command's own rules must still hold (here NO_PROXY keeps the request direct).
    env = env_for(netrc_file, http_proxy="http://127.0.0.1:9", no_proxy="127.0.0.1,localhost")
    assert sent_authorization(f"{base}/echo", "--ignore-netrc", env=env) is None
    run = run_cli(f"{base}/echo", "Authorization:Token mine", env=env)
    assert run.code == 0 and json.loads(run.out)["headers"]["authorization"] == "Token mine", run
    assert sent_authorization(f"{base}/echo", env=env) == basic("alice", "s3cret")


def test_broken_netrc_is_named_in_a_warning_and_ignored(base: str, tmp_path: Any) -> None:
    path = tmp_path / "netrc"
    path.write_text("bogus 127.0.0.1 login alice password x\n")  # not a netrc keyword
    run = run_cli(f"{base}/echo", env=env_for(str(path)))
    assert run.code == 0, run
    assert "authorization" not in json.loads(run.out)["headers"]
    assert len(run.err_lines) == 1 and run.err_lines[0].startswith("fasthttp: warning: cannot read "), run
    assert str(path) in run.err and "Traceback" not in run.err


def test_offline_shows_the_netrc_credentials(netrc_file: str) -> None:
    run = run_cli("--offline", "-p", "H", "http://127.0.0.1:1/x", env=env_for(netrc_file))
    assert run.code == 0 and f"Authorization: {basic('alice', 's3cret')}" in run.out.decode(), run
    run = run_cli("--offline", "--ignore-netrc", "-p", "H", "http://127.0.0.1:1/x", env=env_for(netrc_file))
    assert run.code == 0 and b"Authorization" not in run.out, run


# --- redirects: each host's own entry (requests' rebuild_auth, which httpie's --follow uses) ------


@pytest.fixture(scope="module")
def two_hosts() -> Iterator[tuple[str, str]]:
    """(first, second): the first redirects /to?url=U to U and echoes /echo; the second, another
    server reached as `localhost` (another host name, so another .netrc entry), echoes /echo."""
    async def to(request: Any) -> Any:
        raise web.HTTPFound(request.query["url"])

    tl = ThreadLoop()
    first, second = web.Application(), web.Application()
    first.router.add_get("/to", to)
    first.router.add_get("/echo", echo)
    second.router.add_get("/echo", echo)
    try:
        with web_server(tl, first) as url1, web_server(tl, second) as url2:
            yield url1, url2.replace("127.0.0.1", "localhost")
    finally:
        tl.close()


def redirected_authorization(start: str, target: str, env: dict[str, str], *args: str) -> Optional[str]:
    from urllib.parse import quote

    return sent_authorization(f"{start}/to?url={quote(target + '/echo', safe='')}", "--follow", *args, env=env)


@pytest.mark.parametrize(
    "entries,expected",
    [
        ("machine localhost login bob password b0b\n", basic("bob", "b0b")),  # the new host's own
        ("", None),  # none for the new host: none sent
        ("default login anyone password pw\n", basic("anyone", "pw")),
    ],
    ids=["own-entry", "no-entry", "default-entry"],
)
def test_a_redirect_to_another_host_takes_that_hosts_netrc_entry(
    two_hosts: tuple[str, str], tmp_path: Any, entries: str, expected: Optional[str]
) -> None:
    """The first host's credentials never go to another host; that host's entry (if any) does."""
    first, second = two_hosts
    path = tmp_path / "netrc"
    path.write_text("machine 127.0.0.1 login alice password s3cret\n" + entries)
    os.chmod(path, 0o600)
    env = env_for(str(path))
    assert redirected_authorization(first, second, env) == expected
    assert redirected_authorization(first, second, env, "--ignore-netrc") is None
    # On the same host the credentials stay; another port of it has the same entry (by name).
    assert redirected_authorization(first, first, env) == basic("alice", "s3cret")
    assert redirected_authorization(first, second.replace("localhost", "127.0.0.1"), env) == basic("alice", "s3cret")


def test_a_redirect_to_another_host_as_httpie_does(two_hosts: tuple[str, str], tmp_path: Any) -> None:
    pytest.importorskip("httpie")
    from urllib.parse import quote

    first, second = two_hosts
    path = tmp_path / "netrc"
    path.write_text("machine 127.0.0.1 login alice password s3cret\nmachine localhost login bob password b0b\n")
    os.chmod(path, 0o600)
    env = dict(env_for(str(path)), HTTPIE_CONFIG_DIR=REPO + "/.no-httpie-config")
    url = f"{first}/to?url={quote(second + '/echo', safe='')}"
    proc = subprocess.run([PYTHON, "-m", "httpie", "--ignore-stdin", "--follow", url], capture_output=True,
                          timeout=60, cwd=REPO, env=env)
    assert json.loads(proc.stdout)["headers"]["authorization"] == basic("bob", "b0b")
    assert redirected_authorization(first, second, env_for(str(path))) == basic("bob", "b0b")
