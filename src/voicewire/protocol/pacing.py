"""Pacer: one lane's turn events, released at a listener's pace instead of in bursts.

Synthesis runs in units, much faster than real time when the cores are free, so its audio comes in
bursts: a whole sentence at once, then nothing while the next one is made. Voice-agent clients
end a turn on silence (LiveKit after 0.6 s without a frame, VideoSDK after 0.25 s without audio),
so a burst followed by a pause loses the rest of the answer. The pacer holds audio back and lets it
out evenly:

- a turn's first audio goes out at once (first audio is never delayed);
- while the listener has less than ``lead`` seconds in hand (audio sent minus time since the first
  audio), audio goes out at once, up to that lead;
- beyond it, every ``drip`` seconds a share (``drain``) of what is held goes out, at least one
  piece: the held audio covers the making of the next unit, so frames keep coming, and the
  listener's lead keeps growing; once the listener has ``ample`` in hand, one piece a drip
  (about real time), so what is held lasts through a long wait for text (an LLM still writing);
- never more than ``hold`` seconds are held: past it, audio goes out at once, so a client that reads
  as fast as audio is made gets it that fast (only a reserve is held back, and memory stays
  bounded: a slow reader holds synthesis back through the socket, as before);
- once the turn's last event (its completion or failure) is here, nothing more can be late: the
  rest goes out at once, the last event after it.

Pieces are small (the pipeline makes them about 0.1 s each), so a drip is a small frame. Pure:
every call takes the time it is.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["AMPLE_S", "DRAIN", "DRIP_S", "HOLD_S", "LEAD_S", "Pacer"]

LEAD_S = 0.1
"""Audio the listener should have in hand before the pacer holds anything back: small, so what is held
covers the making of the next piece. A Piper unit's first window is about 0.3 s of audio and its
second takes 0.15 s on a quiet core, 0.3-0.45 s on a loaded one: with a 0.3 s lead the whole first
window went out at once and nothing came until the second (bench live on a quiet machine, Piper's
largest gap in a turn: p95 206 / max 291 ms; with 0.1 s: 104 / 104 ms)."""
AMPLE_S = 2.0
"""Audio in the listener's hand past which the pacer lets out one piece a drip (about real time)."""
HOLD_S = 2.0
"""Most audio held back: the reserve that covers the making of the next unit."""
DRIP_S = 0.1
"""Longest time between two frames while audio is held."""
DRAIN = 0.25
"""Share of the held pieces released at each drip."""

E = TypeVar("E")


class Pacer(Generic[E]):
    """Events of one lane, in order; audio events are paced per turn.

    ``turn_of(event)`` names an event's turn; ``seconds_of(event)`` is its audio duration, or None
    for an event that is not audio (a completion, a failure), which ends its turn.
    """

    def __init__(
        self,
        turn_of: Callable[[E], int],
        seconds_of: Callable[[E], float | None],
        *,
        lead: float = LEAD_S,
        ample: float = AMPLE_S,
        hold: float = HOLD_S,
        drip: float = DRIP_S,
        drain: float = DRAIN,
    ) -> None:
        self._turn_of = turn_of
        self._seconds_of = seconds_of
        self.lead, self.ample, self.hold, self.drip, self.drain = lead, ample, hold, drip, drain
        self._held: deque[E] = deque()
        self._ending: set[int] = set()  # turns whose last event is held
        self._turn: int | None = None
        self._started = 0.0  # when the turn's first audio went out
        self._sent = 0.0  # seconds of the turn's audio released
        self._last = 0.0  # when the last audio went out

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def push(self, event: E, now: float) -> list[E]:
        """Hold ``event``; returns what goes out now (``release(now)``)."""
        self._held.append(event)
        if self._seconds_of(event) is None:
            self._ending.add(self._turn_of(event))
        return self.release(now)

    def release(self, now: float) -> list[E]:
        """The events due at ``now``, in order."""
        out: list[E] = []
        drip_left: int | None = None  # pieces this call's drip may still let out (None: no drip yet)
        while self._held:
            event = self._held[0]
            turn, seconds = self._turn_of(event), self._seconds_of(event)
            if turn != self._turn:  # the next turn of the lane: its own pace from its first audio
                self._turn, self._sent = turn, 0.0
                self._started = self._last = math.nan
            if seconds is not None and not self._due(now, turn):
                if drip_left is None and now >= self._last + self.drip - 1e-9:
                    ample = self._sent - (now - self._started) >= self.ample
                    drip_left = 1 if ample else max(1, math.ceil(self._held_audio(turn) * self.drain))
                if not drip_left:
                    break
                drip_left -= 1
            self._held.popleft()
            out.append(event)
            if seconds is None:  # the turn's last event: the next event starts afresh
                self._ending.discard(turn)
                self._turn = None
                continue
            if math.isnan(self._started):
                self._started = now
            self._sent += seconds
            self._last = now
        return out

    def next_release(self) -> float | None:
        """When ``release`` has something to give (None: nothing held, or only what waits for audio)."""
        if not self._held:
            return None
        head = self._held[0]
        turn = self._turn_of(head)
        if self._seconds_of(head) is None or turn != self._turn or turn in self._ending or math.isnan(self._started):
            return -math.inf  # due now
        return min(self._last + self.drip, self._short_of_lead_at())

    def clear(self) -> None:
        """Drop everything held (the lane was cancelled)."""
        self._held.clear()
        self._ending.clear()
        self._turn = None

    def _due(self, now: float, turn: int) -> bool:
        """Audio of ``turn`` goes out at once: its first, all of an ended turn, to keep the lead, or
        past the most that may be held."""
        if math.isnan(self._started) or turn in self._ending:
            return True
        return now >= self._short_of_lead_at() or self._held_seconds(turn) > self.hold + 1e-9

    def _short_of_lead_at(self) -> float:
        """When the listener's audio in hand falls under ``lead`` (a hair later: 0.1 * 10 < 1.0)."""
        return self._started + self._sent - self.lead + 1e-9

    def _held_audio(self, turn: int) -> int:
        return sum(1 for e in self._held if self._turn_of(e) == turn and self._seconds_of(e) is not None)

    def _held_seconds(self, turn: int) -> float:
        return sum(self._seconds_of(e) or 0.0 for e in self._held if self._turn_of(e) == turn)
