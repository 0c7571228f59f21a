"""Masking keys for client frames: unpredictable (RFC 6455 §5.3), and cheap.

Keys come from os.urandom, drawn 4 KiB at a time so that a frame costs a slice, not a syscall.
"""

from __future__ import annotations

import os

__all__ = ("mask_key",)

_POOL_SIZE = 4096
_pool = b""
_offset = _POOL_SIZE


def mask_key() -> bytes:
    """Four fresh random bytes."""
    global _pool, _offset
    if _offset >= _POOL_SIZE:
        _pool = os.urandom(_POOL_SIZE)
        _offset = 0
    key = _pool[_offset : _offset + 4]
    _offset += 4
    return key


def _forget_pool() -> None:
    """A forked child must not reuse keys its parent may also use."""
    global _offset
    _offset = _POOL_SIZE


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
