"""The one exception hierarchy of voicewire.

    VoicewireError                  anything voicewire raises on purpose
    ├── RequestError                the client sent something we cannot serve
    │   ├── InvalidField            a field has a wrong type or value (names field, value, allowed)
    │   ├── TextTooLong             text over the configured limit (never cut silently)
    │   ├── UnknownVoice            voice_id is in no catalog and no alias
    │   ├── VoiceNotInstalled       a voice the catalog lists whose files are not on this machine
    │   ├── MalformedMessage        a body or frame that is not a JSON object, or binary
    │   │   └── FrameTooLarge       a Wyoming event whose data or payload is over the listener's limit
    │   ├── InvalidMarkup           speech markup (SSML) that is malformed or over a limit (names the position)
    │   ├── TooManyDictionaries     the key already has as many pronunciation dictionaries as it may
    │   └── BodyTooLarge            a request body over the size limit (413)
    ├── NotFound                    a path names a model or resource that does not exist
    │   └── ModelRetired            a path of a model the Waves API retired (410 Gone, naming the replacement)
    ├── AuthenticationError         missing, unknown or revoked API key
    ├── LimitExceeded               the key has no free concurrency unit
    │   ├── ServerBusy              the server has no room for one more real-time stream
    │   ├── QueueFull               one connection queued more text or turns than it may
    │   └── TooManyFailedAttempts   this client sent too many wrong keys lately (brute-force brake)
    ├── VoiceUnavailable            an installed voice whose files cannot be used (missing or corrupt)
    ├── EngineError                 an engine failed while synthesizing
    ├── StoreError                  the key store cannot be read or written
    ├── ShuttingDown                the server is draining before it stops: retry on another replica
    ├── ConfigError                 bad settings or an unusable VOICEWIRE_HOME, found at start
    └── VoicePackError              a voice could not be listed, installed, added or removed (the CLI)
        ├── DownloadFailed          a catalog or voice file could not be fetched (names the URL)
        └── VerificationFailed      a downloaded file is not the one the catalog describes (size, digest)

Each class has a stable ``code`` string that goes on the wire. Which HTTP status and which
close code each one becomes is decided in one place: ``voicewire.errors``.
Messages are sentence case and name the offending value with ``!r``; they never contain an API key
or a stack trace.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AuthenticationError",
    "BodyTooLarge",
    "ConfigError",
    "DownloadFailed",
    "EngineError",
    "FrameTooLarge",
    "InvalidField",
    "InvalidMarkup",
    "LimitExceeded",
    "MalformedMessage",
    "ModelRetired",
    "NotFound",
    "QueueFull",
    "RequestError",
    "ServerBusy",
    "ShuttingDown",
    "StoreError",
    "TextTooLong",
    "TooManyDictionaries",
    "TooManyFailedAttempts",
    "UnknownVoice",
    "VerificationFailed",
    "VoiceNotInstalled",
    "VoicePackError",
    "VoiceUnavailable",
    "VoicewireError",
]


class VoicewireError(Exception):
    """Base class: ``str(error)`` is the message a user sees."""

    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestError(VoicewireError):
    code = "invalid_request"


class InvalidField(RequestError):
    """A request field with a wrong type or value.

    The message names the field, shows the value and says what is allowed.
    """

    code = "invalid_field"

    def __init__(self, field: str, value: object, allowed: str) -> None:
        super().__init__(f"Field {field!r} has value {_show(value)}; allowed: {allowed}.")
        self.field = field
        self.value = value
        self.allowed = allowed


class TextTooLong(RequestError):
    code = "text_too_long"

    def __init__(self, length: int, limit: int, where: str = "request") -> None:
        super().__init__(
            f"Text of {length} characters is over the limit of {limit} characters per {where}; "
            "split it into several requests."
        )
        self.length = length
        self.limit = limit


class UnknownVoice(RequestError):
    code = "unknown_voice"

    def __init__(
        self,
        voice_id: object,
        suggestions: Iterable[str] = (),
        *,
        field: str = "voice_id",
        listing: str = "The full catalog is at GET /waves/v1/lightning-v3.1/get_voices (or `voicewire voices`).",
    ) -> None:
        """``field`` and ``listing`` let a dialect name its own field and where its clients find the voices."""
        near = ", ".join(list(suggestions)[:8])  # in the caller's order: the catalog puts the likeliest first
        hint = f" Voices here include: {near}." if near else ""
        super().__init__(
            f"Field {field!r} has value {_show(voice_id)}, which is no voice of this server.{hint} {listing}"
        )
        self.voice_id = voice_id


class VoiceNotInstalled(RequestError):
    """Refused at once: nothing is downloaded while a request waits (the server may be offline)."""

    code = "voice_not_installed"

    def __init__(self, voice_id: str, size: str = "") -> None:
        what = f" ({size})" if size else ""
        super().__init__(
            f"Voice {voice_id!r} is listed but not installed on this server{what}. Install it with "
            f"`voicewire voices install {voice_id}` (on a machine with internet, or from a mirror with "
            "VOICEWIRE_VOICES_URL); a running server picks it up within seconds."
        )
        self.voice_id = voice_id


class MalformedMessage(RequestError):
    code = "malformed_message"


class FrameTooLarge(MalformedMessage):
    """A Wyoming event that announces more data or payload than the listener reads; it is skipped."""

    code = "frame_too_large"


class InvalidMarkup(RequestError):
    """Speech markup that cannot be read; ``position`` is the character offset in the text."""

    code = "invalid_markup"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class TooManyDictionaries(RequestError):
    code = "too_many_dictionaries"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This key already has {limit} pronunciation dictionaries, the most it may have "
            "(VOICEWIRE_DICT_MAX_PER_KEY); delete one (DELETE /waves/v1/pronunciation-dicts) or add its items "
            "to another (PUT)."
        )
        self.limit = limit


class BodyTooLarge(RequestError):
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is over the limit of {limit} bytes; send at most {limit} bytes of JSON.")
        self.limit = limit


class NotFound(VoicewireError):
    code = "not_found"


class ModelRetired(NotFound):
    """A retired model's route: gone for good, answered as the hosted API does (410 MODEL_DEPRECATED)."""

    code = "model_retired"

    def __init__(self, model: str, replacement: str) -> None:
        super().__init__(
            f"Model {model} is retired. Use model lightning_v3.1 via {replacement} (or POST /waves/v1/tts)."
        )
        self.model = model
        self.replacement = replacement


class AuthenticationError(VoicewireError):
    code = "unauthorized"


class LimitExceeded(VoicewireError):
    """No free unit for this key; ``retry_after`` is a hint in seconds."""

    code = "limit_exceeded"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerBusy(LimitExceeded):
    """Refused early because every running stream would start to stutter (429, like a key limit)."""

    code = "server_busy"


class QueueFull(LimitExceeded):
    """A connection sent text far faster than it is spoken: the excess is refused, not buffered."""

    code = "queue_full"


class TooManyFailedAttempts(LimitExceeded):
    """A client that keeps presenting wrong keys is refused for a while, whatever key it sends."""

    code = "too_many_failed_attempts"


class VoiceUnavailable(VoicewireError):
    code = "voice_unavailable"


class EngineError(VoicewireError):
    code = "engine_error"


class StoreError(VoicewireError):
    code = "store_unavailable"


class ShuttingDown(VoicewireError):
    code = "shutting_down"


class ConfigError(VoicewireError):
    code = "config_error"


class VoicePackError(VoicewireError):
    """Managing voice packs failed (``voicewire voices ...``); nothing was installed or removed."""

    code = "voice_pack_error"


class DownloadFailed(VoicePackError):
    """A catalog or a voice file could not be fetched; the message names the URL and the reason."""

    code = "download_failed"

    def __init__(self, message: str, url: str, *, resumable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.resumable = resumable
        """The download was cut: what arrived is kept, and running the command again continues it."""


class VerificationFailed(VoicePackError):
    """A downloaded file's size or digest is not what the catalog says: it is deleted, never installed."""

    code = "verification_failed"


def _show(value: object) -> str:
    """repr() of a user value, shortened so a 10 MB field cannot flood an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
