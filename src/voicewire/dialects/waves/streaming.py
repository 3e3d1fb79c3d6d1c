"""The older streaming WebSocket of the official SDK (``client.waves.streaming_tts.connect()``,
``/waves/v1/streaming-tts/stream``): the live protocol with other names. No I/O.

Its messages carry ``is_streaming`` and ``is_final`` instead of ``continue`` and ``flush``: text with
``is_streaming: true, is_final: false`` is buffered, anything else closes the turn (``is_final``
defaults to true, so a plain message is a whole turn). Its chunk frames also say the audio's
``format`` and ``sample_rate``; its error frames carry ``error: {message, code}`` beside ``message``,
which satisfies both shapes its documentation ever showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicewire.dialects.waves.frames import Frame
from voicewire.dialects.waves.live import WavesLiveSession
from voicewire.exceptions import InvalidField, MalformedMessage
from voicewire.protocol.sequencer import Event, TurnAudio

__all__ = ["StreamingTtsSession"]


class StreamingTtsSession(WavesLiveSession):
    def receive_message(self, obj: Any, now: float) -> None:
        if isinstance(obj, Mapping):
            try:
                streaming, final = _flag(obj, "is_streaming", False), _flag(obj, "is_final", True)
            except (InvalidField, MalformedMessage) as exc:
                self.sequencer.touch(now)
                self._problem(exc)
                return
            obj = {k: v for k, v in obj.items() if k not in ("continue", "flush")}
            obj["continue"] = streaming and not final
        super().receive_message(obj, now)

    def frames_of(self, event: Event) -> list[Frame]:
        frames = super().frames_of(event)
        for frame in frames:
            if frame["status"] == "chunk" and isinstance(event, TurnAudio):
                options = event.turn.options
                frame["data"].update(format=options.output_format, sample_rate=options.sample_rate)
            elif frame["status"] == "error":
                frame["error"] = {"message": frame["message"], "code": frame["code"]}
        return frames


def _flag(obj: Mapping[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidField(name, value, "true or false")
    return value
