"""The harness's key-value services answer as Maelstrom's do."""

from __future__ import annotations

import pytest

from spawned.maelstrom.harness._services import SERVICES, KVService


@pytest.mark.parametrize("name", SERVICES)
def test_read_write_cas(name: str) -> None:
    kv = KVService(name)
    assert kv.handle({"type": "read", "key": "a"})["code"] == 20
    assert kv.handle({"type": "cas", "key": "a", "from": 1, "to": 2})["code"] == 20
    assert kv.handle({"type": "cas", "key": "a", "from": 1, "to": 2, "create_if_absent": True}) == {
        "type": "cas_ok"
    }
    assert kv.handle({"type": "read", "key": "a"}) == {"type": "read_ok", "value": 2}
    assert kv.handle({"type": "cas", "key": "a", "from": 1, "to": 3})["code"] == 22
    assert kv.handle({"type": "write", "key": "a", "value": [1]}) == {"type": "write_ok"}
    assert kv.handle({"type": "cas", "key": "a", "from": [1], "to": 4}) == {"type": "cas_ok"}
    assert kv.handle({"type": "read", "key": "a"})["value"] == 4
    assert kv.handle({"type": "write", "key": [1, 2], "value": 0}) == {"type": "write_ok"}  # list keys work
    assert kv.handle({"type": "txn"})["code"] == 10


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workload": "kafka"}, "workload must be one of"),
        ({"topology": "ring"}, "topology must be one of"),
        ({"latency_dist": "normal"}, "latency distribution must be one of"),
        ({"nemesis": ("kill",)}, "the only nemesis is 'partition'"),
        ({"command": ()}, "a node command is required"),
        ({"loss": 1.5}, "loss is a probability"),
        ({"rate": 0}, "must be positive"),
    ],
)
def test_harness_config_names_what_is_wrong(options: dict[str, object], message: str) -> None:
    from spawned.maelstrom.harness import Config

    arguments: dict[str, object] = {"workload": "echo", "command": ("node",), **options}
    with pytest.raises(ValueError, match=message):
        Config(**arguments)  # type: ignore[arg-type]
