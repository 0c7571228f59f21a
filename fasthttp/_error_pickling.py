"""How fasthttp's exceptions cross a pickle (multiprocessing, job queues, caches).

Python pickles an exception as `cls(*args)` plus its `__dict__`. That fails for ours in two
ways: constructors with keyword-only parameters (HttpProcessingError(code=, message=)) or a
different argument list than `args` holds, and attributes pickle refuses: the multidict
proxies a response's and a request's headers are (aiohttp's own ClientResponseError fails
to pickle for that reason). `restore` rebuilds an exception without calling its constructor,
and `picklable` wraps a proxy so that it comes back as a proxy of an equal copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

__all__ = ("picklable", "reduce_error", "restore")


class _ProxyPickle:
    """Stands for a multidict proxy in a pickle; unpickles as a proxy of a copy."""

    __slots__ = ("_proxy",)

    def __init__(self, proxy: MultiDictProxy[Any]) -> None:
        self._proxy = proxy

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        proxy = self._proxy
        if isinstance(proxy, CIMultiDictProxy):
            return CIMultiDictProxy, (CIMultiDict(proxy),)
        return MultiDictProxy, (MultiDict(proxy),)


def picklable(value: Any) -> Any:
    """value, or a stand-in pickle accepts for it if it is a multidict proxy."""
    if isinstance(value, MultiDictProxy):  # CIMultiDictProxy included
        return _ProxyPickle(value)
    return value


def restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """The exception `cls` with these args and attributes, its constructor not called (its
    parameters need not match args: the attributes are all in state)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def reduce_error(
    exc: BaseException, args: tuple[Any, ...], replace: Mapping[str, Any] = MappingProxyType({})
) -> tuple[Any, tuple[Any, ...]]:
    """A __reduce__ value for exc: rebuilt by restore() with args and its attributes, proxies
    made picklable, and those named in replace (if set) given the value there instead."""
    state = {
        name: picklable(replace[name] if name in replace else value)
        for name, value in vars(exc).items()
    }
    return restore, (type(exc), tuple(picklable(arg) for arg in args), state)
