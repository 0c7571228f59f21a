"""StreamReader on its own: a random mix of feeds and reads checked against a plain bytes model.

The reader keeps an offset into its first buffered piece (read(n) steps through a large piece
without copying the rest of it each time); every read method must still hand out exactly the
bytes a simple model says, in order, whatever the piece sizes.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from fasthttp.streams import StreamReader


class _Flow:
    def __init__(self) -> None:
        self.paused = False

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


async def _scenario(seed: int) -> None:
    rnd = random.Random(seed)
    reader = StreamReader(_Flow(), limit=rnd.choice([16, 64, 1024]))
    body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 3000)))
    body = body.replace(b"\n", b"a") if rnd.random() < 0.3 else body  # sometimes no separators
    pos = 0
    while pos < len(body):  # pieces of very different sizes
        size = rnd.choice([1, 2, 7, 64, 300, 1500])
        reader.feed_data(body[pos : pos + size])
        pos += size
    reader.feed_eof()
    got = b""
    while True:
        op = rnd.choice(["read", "readany", "readexactly", "readline", "readchunk", "nowait", "unread"])
        before = len(got)
        if op == "read":
            got += await reader.read(rnd.choice([1, 3, 50, 700, -1]))
        elif op == "readany":
            got += await reader.readany()
        elif op == "readexactly":
            n = rnd.choice([1, 5, 100])
            try:
                got += await reader.readexactly(n)
            except asyncio.IncompleteReadError as exc:
                got += exc.partial
        elif op == "readline":
            try:
                got += await reader.readuntil(b"\n", max_size=10_000)
            except ValueError:
                pass
        elif op == "readchunk":
            data, end = await reader.readchunk()
            assert end is False  # no chunk boundaries were recorded
            got += data
        elif op == "nowait":
            got += reader.read_nowait(rnd.choice([-1, 2, 40]))
        elif op == "unread" and got:
            k = rnd.randint(1, min(10, len(got)))
            reader.unread_data(got[-k:])
            got = got[:-k]
        assert got == body[: len(got)], (seed, op, before)
        if reader.at_eof():
            break
    assert got == body, seed
    assert await reader.read() == b""


@pytest.mark.parametrize("seed", range(300))
def test_random_reads_match_the_model(seed: int) -> None:
    asyncio.run(asyncio.wait_for(_scenario(seed), 10))
