"""`import fasthttp as aiohttp`: the top-level names match aiohttp's.

Read from the installed aiohttp's __all__, so a name a new aiohttp adds fails here until
fasthttp has it or lists it below (with the reason, which fasthttp's AttributeError gives).
fasthttp.web's names: tests/test_web_aiohttp_names.py; aiohttp's submodules (`aiohttp.helpers`,
`aiohttp.typedefs`, ...): tests/test_aiohttp_submodules.py.
"""

from __future__ import annotations

import aiohttp
import pytest

import fasthttp

# aiohttp's names fasthttp deliberately does not provide (docs/aiohttp-compat.md):
DELIBERATE = {
    # aiohttp's internal stream plumbing; fasthttp's StreamReader has no such queues
    "DataQueue", "FlowControlDataQueue",
    # custom payload types registered for data=: fasthttp's payload choice is not pluggable
    "PAYLOAD_REGISTRY", "payload_type",
    # deprecated by aiohttp itself (an async generator as data= replaces it)
    "streamer",
    # fasthttp uses the standard zlib module only
    "set_zlib_backend",
    # Content-Disposition parsing helpers and their warnings: BodyPartReader.name/.filename
    "parse_content_disposition", "content_disposition_filename",
    "BadContentDispositionHeader", "BadContentDispositionParam",
}


def test_every_aiohttp_top_level_name_or_a_listed_reason() -> None:
    missing = set(aiohttp.__all__) - set(fasthttp.__all__)
    assert missing == DELIBERATE, (
        f"not in fasthttp: {sorted(missing - DELIBERATE)}; listed but present: {sorted(DELIBERATE - missing)}"
    )
    for name in set(fasthttp.__all__) - {"GunicornWebWorker", "GunicornUVLoopWebWorker"}:
        assert getattr(fasthttp, name) is not None, name


@pytest.mark.parametrize("name", sorted(DELIBERATE))
def test_an_absent_name_says_why(name: str) -> None:
    with pytest.raises(AttributeError, match=f"fasthttp does not provide aiohttp.{name}: "):
        getattr(fasthttp, name)
    assert not hasattr(fasthttp, name)  # feature detection keeps working
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        fasthttp.no_such_name  # noqa: B018


def test_lazy_and_shared_names() -> None:
    assert fasthttp.AddrInfoType is aiohttp.AddrInfoType
    assert fasthttp.SocketFactoryType is aiohttp.SocketFactoryType
    assert fasthttp.ETag("abc", is_weak=True) == ("abc", True)
    assert issubclass(fasthttp.EofStream, Exception)
    pytest.importorskip("gunicorn")
    from fasthttp.worker import GunicornWebWorker

    assert fasthttp.GunicornWebWorker is GunicornWebWorker


def test_chain_map_proxy_as_aiohttp() -> None:
    for lib in (aiohttp, fasthttp):
        proxy = lib.ChainMapProxy([{"a": 1, "b": 2}, {"b": 3, "c": 4}, {}])
        assert (proxy["a"], proxy["b"], proxy["c"], proxy.get("x", 0)) == (1, 2, 4, 0)
        assert (len(proxy), list(proxy), "c" in proxy, "x" in proxy, bool(proxy)) == (3, ["b", "c", "a"], True, False, True)
        assert not lib.ChainMapProxy([{}, {}])
        assert repr(proxy) == "ChainMapProxy({'a': 1, 'b': 2}, {'b': 3, 'c': 4}, {})"
        with pytest.raises(KeyError):
            proxy["x"]
        with pytest.raises(TypeError, match="Inheritance class Mine from ChainMapProxy is forbidden"):
            type("Mine", (lib.ChainMapProxy,), {})


def test_abc_names() -> None:
    import aiohttp.abc

    import fasthttp.abc
    from fasthttp import web

    theirs = {name for name, value in vars(aiohttp.abc).items()
              if not name.startswith("_") and getattr(value, "__module__", "") == "aiohttp.abc"}
    # fasthttp's router, match info and body writer do not implement these (see fasthttp/abc.py)
    not_here = {"AbstractRouter", "AbstractMatchInfo", "AbstractStreamWriter"}
    assert theirs - set(fasthttp.abc.__all__) == not_here
    assert fasthttp.abc.AbstractView is web.AbstractView
    assert fasthttp.abc.AbstractAccessLogger is web.AbstractAccessLogger
    with pytest.raises(AttributeError, match="no attribute 'AbstractRouter'"):
        fasthttp.abc.AbstractRouter  # noqa: B018
