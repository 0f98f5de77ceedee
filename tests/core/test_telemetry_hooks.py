"""The telemetry hook table: attach, detach, execute, the ``active`` flag, bad arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from spawned import _process, _telemetry, telemetry


def test_message_kinds_follow_the_envelope_kinds() -> None:
    kinds = {
        _process.CALL: "call",
        _process.CAST: "cast",
        _process.INFO: "info",
        _process.DOWN: "info",
        _process.CONTINUE: "continue",
        _process.STOP: "stop",
        _process.SYSTEM: "system",
    }
    assert [kinds[i] for i in range(len(kinds))] == list(_telemetry.MESSAGE_KINDS)


def test_active_follows_attach_and_detach_and_execute_reaches_only_the_named_events() -> None:
    seen: list[tuple[str, Mapping[str, float], Mapping[str, Any]]] = []
    assert _telemetry.active is False

    def handler(event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:
        seen.append((event, measurements, metadata))

    telemetry.attach("core", ["app.one", "app.two"], handler)
    try:
        assert _telemetry.active is True
        assert telemetry.attached() == [("core", ("app.one", "app.two"))]
        telemetry.execute("app.one", {"n": 1}, {"who": "me"})
        telemetry.execute("app.three", {"n": 3}, {})
    finally:
        assert telemetry.detach("core") is True
    assert _telemetry.active is False
    telemetry.execute("app.two", {"n": 2}, {})
    assert seen == [("app.one", {"n": 1}, {"who": "me"})]


def test_attach_refuses_a_taken_id_no_events_a_bad_name_and_a_non_callable() -> None:
    telemetry.attach("taken", telemetry.CALL, print)
    try:
        with pytest.raises(ValueError, match="'taken' is already attached"):
            telemetry.attach("taken", telemetry.CALL, print)
    finally:
        telemetry.detach("taken")
    with pytest.raises(ValueError, match="got no event names"):
        telemetry.attach("none", [], print)
    with pytest.raises(TypeError, match="not 42"):
        telemetry.attach("bad", [42], print)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be callable"):
        telemetry.attach("bad", telemetry.CALL, "print")  # type: ignore[arg-type]
    assert telemetry.attached() == []
