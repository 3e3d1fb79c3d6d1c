"""HTTP fuzzing from the OpenAPI description: schemathesis against a real server.

Every operation of GET /openapi.json gets generated requests, valid and invalid (wrong types,
missing fields, values out of range, odd unicode), sent with the key. Checked on each response:
never a 5xx; the status, content type, headers and JSON body are ones the document allows; an
invalid request is refused; a request without the key or with a wrong one is refused. Valid
requests with a real voice are synthesized for real: the server's text limit is kept short so
that stays quick.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.fuzz import HOSTILE_MARKUP, count_case, fuzz_settings, markup_documents
from support.server import RunningServer
from voicewire.server.openapi_doc import DOCUMENT

pytestmark = pytest.mark.usefixtures("clean_fuzz_log")

DOC = json.loads(DOCUMENT.read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
VOICES = ["magnus", "heart", "joe", "HEART", "alloy", "onyx"]
LANGUAGES = ["en", "auto", "EN", "en-US"]
BODY_VALIDATORS = {
    name: jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": DOC["components"]})
    for name in ("WavesRequest", "OpenAISpeechRequest")
}


@pytest.fixture(scope="module")
def session(fuzz_server: RunningServer) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.headers.update(fuzz_server.headers)
        yield http


@pytest.fixture(scope="module")
def api(fuzz_server: RunningServer) -> BaseSchema:
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


def realistic(case: schemathesis.Case, validator: jsonschema_rs.Validator, negative: bool) -> schemathesis.Case:
    """Random voices and languages are refused before anything else is looked at (a 400), which would
    leave synthesis and most checks unexercised: in three cases of four, use a real voice and language.
    A negative case keeps its own values where the change would make it valid."""
    body = case.body
    if not isinstance(body, dict):
        return case
    digest = zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    if digest % 4 == 0:
        return case
    changed = dict(body)
    for name in ("voice_id", "voice"):
        if isinstance(changed.get(name), str):
            changed[name] = VOICES[digest // 4 % len(VOICES)]
    if isinstance(changed.get("language"), str):
        changed["language"] = LANGUAGES[digest // 32 % len(LANGUAGES)]
    if not (negative and validator.is_valid(changed)):
        body.clear()
        body.update(changed)
    return case


# The operations, from the static document (the test ids must exist before the server does); the
# schema the cases come from is the one the server serves.
OPERATIONS = [(path, method.upper()) for path, item in DOC["paths"].items() for method in item if method in METHODS]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors_and_only_documented_answers(api: BaseSchema, session: requests.Session, path: str,
                                                       method: str) -> None:  # fmt: skip
    operation = api[path][method]
    validator = BODY_VALIDATORS["OpenAISpeechRequest" if path == "/v1/audio/speech" else "WavesRequest"]
    strategy = operation.as_strategy(GenerationMode.POSITIVE).map(lambda c: realistic(c, validator, False))
    if operation.body or operation.path_parameters:  # something to get wrong
        negative = operation.as_strategy(GenerationMode.NEGATIVE).map(lambda c: realistic(c, validator, True))
        strategy = st.one_of(strategy, negative)

    @fuzz_settings(scale=0.25, database=None)
    @given(strategy)
    def fuzz(case: schemathesis.Case) -> None:
        count_case("http")
        response = case.call(session=session, timeout=60, allow_redirects=False)
        # 413 (a body over 1 MiB, documented) refuses a request as surely as a 400 does; schemathesis'
        # negative-data check does not count it as a refusal.
        checks = [c for c in CHECKS if c is not negative_data_rejection or response.status_code != 413]
        case.validate_response(response, checks=checks)

    fuzz()


@fuzz_settings(scale=0.1, database=None)
@given(markup_documents(12), st.sampled_from(["/waves/v1/tts", "/waves/v1/tts/live", "/v1/audio/speech"]))
def test_speech_markup_is_spoken_or_refused_never_a_server_error(session: requests.Session, fuzz_server: RunningServer,
                                                                  doc: str, path: str) -> None:  # fmt: skip
    """Random markup (often malformed) on every synthesis endpoint: audio, or a 400 naming the problem."""
    count_case("http")
    if path == "/v1/audio/speech":
        body = {"model": "tts-1", "input": doc or "x", "voice": "alloy", "markup": "ssml", "response_format": "pcm"}
    else:
        body = {"text": doc or "x", "voice_id": "heart", "markup": "ssml", "sample_rate": 8000}
    response = session.post(fuzz_server.url + path, json=body, timeout=60)
    assert response.status_code in (200, 400), response.text[:300]
    if response.status_code == 400:
        error = response.json()["error"]
        code = error["code"] if isinstance(error, dict) else response.json()["code"]
        assert code in ("invalid_markup", "invalid_field", "invalid_input", "text_too_long"), response.text[:300]


@pytest.mark.parametrize("doc", HOSTILE_MARKUP, ids=range(len(HOSTILE_MARKUP)))
def test_hostile_markup_is_a_400(session: requests.Session, fuzz_server: RunningServer, doc: str) -> None:
    count_case("http")
    response = session.post(fuzz_server.url + "/waves/v1/tts", timeout=60,
                            json={"text": doc, "voice_id": "heart", "markup": "ssml"})  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] in ("invalid_markup", "text_too_long")

