"""ClientTimeout: how long each phase of a request may take (aiohttp 3.x semantics).

- total: the whole request, from the call until the body is read (or the response released);
- connect: getting a connection: waiting for the pool, DNS, TCP and TLS;
- sock_connect: one TCP (and TLS) connection attempt;
- sock_read: the longest silence between two reads from the socket.

None disables a phase's limit. Deadlines are exact (loop.call_at), never rounded up.
`ceil_threshold` is accepted for compatibility and ignored: rounding timeouts up to whole
seconds (aiohttp's ceil_timeout) makes them fire late; fasthttp's fire on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Optional


@dataclass(frozen=True)
class ClientTimeout:
    total: Optional[float] = None
    connect: Optional[float] = None
    sock_read: Optional[float] = None
    sock_connect: Optional[float] = None
    ceil_threshold: float = 5


#: The session default: five minutes in all, 30 seconds per connection attempt.
DEFAULT_TIMEOUT: Final = ClientTimeout(total=5 * 60, sock_connect=30)
