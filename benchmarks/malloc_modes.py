"""The benchmarks' side of glibc's mmap threshold (README: "Why a machine switches modes").

asyncio's socket transport reads 256 KiB at a time; above glibc's mmap threshold each such
read costs an mmap, mremap and munmap, until the process first frees a large block whole and
glibc raises the threshold. Two tools, so every row is measured the same way:

- `use_small_reads(transport)`: reads of 64 KiB, as fasthttp's own (fasthttp/read_size.py),
  for the raw ceilings (a ceiling must not pay a cost the client measured against it avoids).
  Written here rather than imported from fasthttp: the ceilings do not depend on the library
  they measure.
- `start_in_fast_mode()`: free a 1 MiB block now, so a peer still reading 256 KiB (aiohttp)
  is measured in its fast mode, whatever its process did before.
"""

from __future__ import annotations

from typing import Any

__all__ = ("SMALL_READ", "start_in_fast_mode", "use_small_reads")

SMALL_READ = 64 * 1024


def use_small_reads(transport: Any) -> None:
    if getattr(transport, "max_size", 0) > SMALL_READ:
        transport.max_size = SMALL_READ


def start_in_fast_mode() -> None:
    large = bytearray(1 << 20)
    del large
