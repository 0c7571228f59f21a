"""The size of one read from a socket: asyncio's default made cheaper for HTTP's small messages.

asyncio's selector transport reads with `sock.recv(transport.max_size)`, 256 KiB by default:
every read allocates a 256 KiB bytes object and shrinks it to what arrived. glibc's malloc
serves a request that large with its own mmap (above M_MMAP_THRESHOLD, 128 KiB), so each read
of a small response costs mmap + mremap + munmap, a page fault on fresh memory, and three
system calls more than the recv itself (strace -c on the client benchmark at concurrency 32:
11,264 of each for 11,264 responses). On a VM those calls cost about as much as the rest of an
exchange. A 64 KiB read comes from the heap and reuses warm memory: the same run makes ~1,500
mmap calls in all, and a large body still arrives in 64 KiB reads, fewer than one per
kernel-to-user copy the larger read would have saved (the download benchmark measures both).

Only transports that have the attribute (asyncio's selector sockets) are changed; uvloop reads
into its own preallocated buffer and TLS transports read through their SSL object.
"""

from __future__ import annotations

import asyncio
from typing import Final

__all__ = ("READ_SIZE", "use_small_reads")

READ_SIZE: Final = 64 * 1024


def use_small_reads(transport: asyncio.BaseTransport) -> None:
    """Make `transport` read at most READ_SIZE bytes at a time (where it has the setting)."""
    if getattr(transport, "max_size", 0) > READ_SIZE:
        transport.max_size = READ_SIZE  # type: ignore[attr-defined]
