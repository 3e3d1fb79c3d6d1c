"""A brake on key guessing: each client may present a wrong key only so often.

A token bucket per client address: ``limit`` wrong keys at once, then one more every
``60 / limit`` seconds. A client whose bucket is empty is refused before its key is even looked up,
whatever key it sends, until a token is back: so a guesser gets ``limit`` tries a minute, and
a client that got its key wrong a few times is not locked out for long.

Pure and clock-injected (no I/O). Per process: with N workers or replicas a guesser gets N times the
budget, which still turns a key search of 2**144 into forever. The table is bounded: when it is full,
the client seen longest ago is forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["FailedAuthThrottle"]


class FailedAuthThrottle:
    def __init__(self, limit: int = 10, period: float = 60.0, max_clients: int = 10_000) -> None:
        """``limit`` 0 turns the brake off."""
        self.limit = limit
        self.refill = period / max(1, limit)
        """Seconds per token."""
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """client -> (tokens, when they were counted)."""

    def retry_after(self, client: str, now: float) -> float:
        """0 when ``client`` may try a key now, else the seconds until it may."""
        if self.limit == 0:
            return 0.0
        tokens = self._tokens(client, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self.refill

    def failed(self, client: str, now: float) -> None:
        """Count one wrong key from ``client``."""
        if self.limit == 0:
            return
        tokens = self._tokens(client, now)
        self._buckets[client] = (max(0.0, tokens - 1.0), now)
        self._buckets.move_to_end(client)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)

    def _tokens(self, client: str, now: float) -> float:
        entry = self._buckets.get(client)
        if entry is None:
            return float(self.limit)
        tokens, since = entry
        tokens = min(float(self.limit), tokens + max(0.0, now - since) / self.refill)
        if tokens >= self.limit:
            del self._buckets[client]  # back to full: nothing worth remembering
        return tokens
