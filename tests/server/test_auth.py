"""Where a key may come from on a request: the Authorization header, or a browser's subprotocol."""

from __future__ import annotations

import pytest

from voicewire.server.auth import bearer_token, offered_subprotocol


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({"authorization": "Bearer vw_abc"}, "vw_abc"),
        ({"authorization": "bearer   vw_abc  "}, "vw_abc"),
        ({"authorization": "Basic dXNlcg=="}, None),
        ({"authorization": "Bearer "}, None),
        ({}, None),
        ({"sec-websocket-protocol": "voicewire, authorization.bearer.vw_abc"}, "vw_abc"),
        ({"sec-websocket-protocol": "authorization.bearer."}, None),
        ({"sec-websocket-protocol": "voicewire"}, None),
        # The header wins over the subprotocol.
        ({"authorization": "Bearer vw_h", "sec-websocket-protocol": "authorization.bearer.vw_p"}, "vw_h"),
    ],
)
def test_bearer_token(headers: dict[str, str], token: str | None) -> None:
    assert bearer_token(headers) == token


def test_the_server_names_voicewire_only_when_offered() -> None:
    assert offered_subprotocol({"sec-websocket-protocol": "authorization.bearer.k, voicewire"}) == "voicewire"
    assert offered_subprotocol({"sec-websocket-protocol": "authorization.bearer.k"}) is None
    assert offered_subprotocol({}) is None
