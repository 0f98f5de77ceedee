"""The harness's key-value services answer as Maelstrom's do."""

from __future__ import annotations

import pytest

from spawned.maelstrom.harness._services import SEQ_KV_HISTORY, SERVICES, KVService


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


@pytest.mark.parametrize("name", SERVICES)
def test_values_compare_with_their_types(name: str) -> None:
    kv = KVService(name)
    kv.handle({"type": "write", "key": 1, "value": 1})
    assert kv.handle({"type": "read", "key": True})["code"] == 20  # key true is not key 1
    assert kv.handle({"type": "cas", "key": 1, "from": True, "to": 2})["code"] == 22
    assert kv.handle({"type": "cas", "key": 1, "from": 1.0, "to": 2})["code"] == 22
    assert kv.handle({"type": "cas", "key": 1, "from": 1, "to": 2}) == {"type": "cas_ok"}


def test_seq_kv_reads_stay_stale_until_the_client_changes_the_store() -> None:
    kv = KVService("seq-kv")
    assert kv.handle({"type": "write", "key": "c", "value": 1}, "n1") == {"type": "write_ok"}
    assert kv.handle({"type": "read", "key": "c"}, "n2")["code"] == 20  # n2 has seen nothing yet
    kv.handle({"type": "write", "key": "c", "value": 2}, "n2")
    assert kv.handle({"type": "read", "key": "c"}, "n1")["value"] == 1  # n1 saw only its own write
    assert kv.handle({"type": "read", "key": "c"}, "n2")["value"] == 2
    # a cas that would change a stale state runs on the latest one: it fails there...
    assert kv.handle({"type": "cas", "key": "c", "from": 1, "to": 5}, "n1")["code"] == 22
    assert kv.handle({"type": "read", "key": "c"}, "n1")["value"] == 2  # ...and n1 is up to date
    kv.handle({"type": "write", "key": "c", "value": 3}, "n2")
    # a write of the value n1 sees changes nothing there: served on n1's stale state
    assert kv.handle({"type": "write", "key": "c", "value": 2}, "n1") == {"type": "write_ok"}
    assert kv.handle({"type": "read", "key": "c"}, "n1")["value"] == 2
    kv.handle({"type": "write", "key": "own", "value": 0}, "n1")  # changes the store: up to date
    assert kv.handle({"type": "read", "key": "c"}, "n1")["value"] == 3


def test_seq_kv_keeps_a_bounded_history() -> None:
    kv = KVService("seq-kv")
    kv.handle({"type": "read", "key": "c"}, "n1")
    for value in range(3 * SEQ_KV_HISTORY):
        kv.handle({"type": "write", "key": "c", "value": value}, "n2")
    assert len(kv.states) == SEQ_KV_HISTORY
    assert kv.handle({"type": "read", "key": "c"}, "n1")["value"] == 2 * SEQ_KV_HISTORY  # the oldest kept


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workload": "kafka"}, "workload must be one of"),
        ({"topology": "ring"}, "topology must be one of"),
        ({"latency_dist": "normal"}, "latency distribution must be one of"),
        ({"nemesis": ("kill",)}, "the only nemesis is 'partition'"),
        ({"command": ()}, "a node command is required"),
        ({"loss": 1.5}, "loss is a probability"),
        ({"rate": 0}, "rate must be positive and finite, not 0"),
        ({"time_limit": float("inf")}, "time_limit must be positive and finite, not inf"),
        ({"latency": -0.5}, "latency must be zero or more, and finite, not -0.5"),
        ({"concurrency": 0}, "concurrency must be positive"),
    ],
)
def test_harness_config_names_what_is_wrong(options: dict[str, object], message: str) -> None:
    from spawned.maelstrom.harness import Config

    arguments: dict[str, object] = {"workload": "echo", "command": ("node",), **options}
    with pytest.raises(ValueError, match=message):
        Config(**arguments)  # type: ignore[arg-type]
