"""The OpenAPI description (src/voicewire/server/openapi.json): valid, served, and in step with the code.

Hand-written documents rot; these tests tie it to the route table, the request model's ranges and
the exception codes, so a new endpoint, field value or error code that is not documented fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from voicewire import exceptions
from voicewire.audio.formats import FORMAT_ALIASES, FORMATS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, MP3_SAMPLE_RATES
from voicewire.config import Settings
from voicewire.dialects import openai
from voicewire.dialects.waves.request import _MODEL_ALIASES, MODELS
from voicewire.runtime.runtime import Runtime
from voicewire.server.app import create_app
from voicewire.server.openapi_doc import DOCUMENT

DOC: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def schemas(node: Any, key: str = "") -> Iterator[Any]:
    """Every JSON Schema in the document (components, parameters, bodies, responses, headers)."""
    if isinstance(node, dict):
        if key == "schema":
            yield node
        for name, value in node.items():
            if key == "schemas":  # components.schemas: each value is a schema
                yield value
            yield from schemas(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from schemas(value)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(ref: str) -> Any:
    node: Any = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_is_valid_openapi_31() -> None:
    assert DOC["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(DOC).validate()
    found = list(schemas(DOC))
    assert len(found) > 20
    for schema in found:
        jsonschema_rs.meta.validate(schema)
    for ref in refs(DOC):
        assert resolve(ref) is not None, ref


def test_the_validators_catch_a_broken_document() -> None:
    """The checks above are not vacuous: a bad operation and a bad schema are both refused."""
    broken = json.loads(json.dumps(DOC))
    broken["paths"]["/readyz"]["get"]["responses"] = 5
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.meta.validate({"type": "strin"})


def test_every_http_route_is_documented_and_nothing_else(tmp_path: Path) -> None:
    app = create_app(Runtime(Settings(home=tmp_path, playground=True)))
    documented = {(path, m) for path, item in DOC["paths"].items() for m in item if m in METHODS}
    served = set()
    for route in app.routes:
        if isinstance(route, Route) and route.methods:
            # HEAD is GET without a body: Starlette adds it to every GET route.
            served |= {(route.path, m.lower()) for m in route.methods if m != "HEAD"}
        elif isinstance(route, WebSocketRoute) and route.name != "unknown_socket":  # the JSON 404 of any other path
            assert route.path in DOCUMENT.read_text(encoding="utf-8"), f"WebSocket {route.path} is not mentioned"
    assert served == documented


def test_it_is_served_without_a_key(tmp_path: Path) -> None:
    client = TestClient(create_app(Runtime(Settings(home=tmp_path))))
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == DOC


def test_request_enums_and_ranges_match_the_code() -> None:
    waves = DOC["components"]["schemas"]["WavesRequest"]
    fields = waves["properties"]
    assert set(fields["output_format"]["enum"]) == {*FORMATS, *FORMAT_ALIASES, None}
    assert set(fields["model"]["enum"]) == {*MODELS, *_MODEL_ALIASES, None}
    assert (fields["sample_rate"]["minimum"], fields["sample_rate"]["maximum"]) == (MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    assert waves["then"]["properties"]["sample_rate"]["enum"] == [*MP3_SAMPLE_RATES, None]
    assert (fields["speed"]["minimum"], fields["speed"]["maximum"]) == (0.5, 2.0)
    assert fields["text"]["maxLength"] == Settings().max_text_chars
    speech = DOC["components"]["schemas"]["OpenAISpeechRequest"]["properties"]
    assert set(speech["response_format"]["enum"]) == {*openai.FORMATS, None}
    voices = speech["voice"]["oneOf"][0]["description"]
    assert all(name in voices for name in openai.OPENAI_VOICES)


def test_every_error_code_is_listed() -> None:
    listed = set(DOC["components"]["schemas"]["Error"]["properties"]["code"]["examples"])
    codes = {
        cls.code
        for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, exceptions.VoicewireError)
    }
    # Raised only at start or as a base class, never answered to a request; queue_full only on a WebSocket;
    # frame_too_large only on the Wyoming listener; the voice-pack errors only by `voicewire voices`.
    never_http = {"config_error", "invalid_request", "queue_full", "frame_too_large",
                  "download_failed", "verification_failed", "voice_pack_error"}  # fmt: skip
    assert codes - listed <= never_http
    assert listed <= codes
