"""Each example node driven over raw Maelstrom JSON, as Maelstrom itself drives it.

Independent of spawned's harness: a node program runs as a subprocess and this module
writes what Maelstrom writes (``init`` with ``node_id``/``node_ids``, requests from clients
``c1``, ``c2``..., numbered ``msg_id``s) and plays the ``lin-kv``/``seq-kv`` services, then
checks every line the node writes: only JSON messages, ``src``/``dest`` swapped,
``in_reply_to`` matching the request, ``msg_id``s unique and increasing, and exit status 0
once stdin closes (see Maelstrom's ``doc/protocol.md``).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from spawned.testing import BACKENDS

EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "maelstrom"
WAIT = 60.0
"""Seconds any single read or exit may take before the test fails (a safety net, not a timing)."""


class Driver:
    """One node process, spoken to line by line; every line it writes is kept and checked."""

    def __init__(
        self,
        script: str,
        backend: str,
        node_id: str = "n1",
        node_ids: tuple[str, ...] = ("n1",),
        args: tuple[str, ...] = (),
    ) -> None:
        self.node_id = node_id
        self.node_ids = list(node_ids)
        self.proc = subprocess.Popen(  # noqa: S603 - our own example scripts
            [sys.executable, str(EXAMPLES / script), *args, "--backend", backend],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.raw: list[bytes] = []
        self.stderr: list[bytes] = []
        self.msg_ids: list[int] = []
        self.kv: dict[str, dict[Any, Any]] = {"lin-kv": {}, "seq-kv": {}, "lww-kv": {}}
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.next_id = 1

    @staticmethod
    def _pump(source: IO[bytes], into: queue.Queue[bytes | None]) -> None:
        for line in source:
            into.put(line)
        into.put(None)

    def _drain(self, source: IO[bytes]) -> None:
        self.stderr.extend(source)

    def write_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, src: str, body: dict[str, Any], dest: str | None = None) -> int:
        """Send a request with a fresh msg_id (unless the body has one); return its msg_id."""
        if "msg_id" not in body:
            body = {**body, "msg_id": self.next_id}
            self.next_id += 1
        message = {"src": src, "dest": dest or self.node_id, "body": body}
        self.write_raw(json.dumps(message).encode() + b"\n")
        return body["msg_id"]

    def receive(self) -> dict[str, Any]:
        """The next message the node writes, checked for shape; services are answered on the way."""
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"the node closed stdout; stderr: {b''.join(self.stderr)[-2000:]!r}"
            self.raw.append(line)
            message = json.loads(line)  # stdout holds only JSON lines
            assert set(message) == {"src", "dest", "body"}, message
            assert message["src"] == self.node_id, message
            body = message["body"]
            assert isinstance(body["type"], str), message
            if "msg_id" in body:
                assert isinstance(body["msg_id"], int), message
                assert not self.msg_ids or body["msg_id"] > self.msg_ids[-1], (self.msg_ids[-5:], message)
                self.msg_ids.append(body["msg_id"])
            if message["dest"] in self.kv:
                self._serve(message["dest"], body)
                continue
            return message

    def _serve(self, service: str, body: dict[str, Any]) -> None:
        store = self.kv[service]
        key = json.dumps(body.get("key"))
        match body["type"]:
            case "read" if key in store:
                reply: dict[str, Any] = {"type": "read_ok", "value": store[key]}
            case "read" | "cas" if key not in store and not body.get("create_if_absent"):
                reply = {"type": "error", "code": 20, "text": "key does not exist"}
            case "write":
                store[key] = body["value"]
                reply = {"type": "write_ok"}
            case "cas" if key in store and store[key] != body["from"]:
                reply = {
                    "type": "error",
                    "code": 22,
                    "text": f"current value {store[key]} is not {body['from']}",
                }
            case "cas":
                store[key] = body["to"]
                reply = {"type": "cas_ok"}
            case _:
                reply = {"type": "error", "code": 10, "text": "unsupported"}
        self.send(service, {**reply, "in_reply_to": body["msg_id"]})

    def reply_to(self, src: str, request_id: int) -> dict[str, Any]:
        """The node's next message, which must be the reply to ``request_id`` from ``src``."""
        message = self.receive()
        assert message["dest"] == src, message
        assert message["body"].get("in_reply_to") == request_id, message
        return message["body"]

    def call(self, src: str, body: dict[str, Any], dest: str | None = None) -> dict[str, Any]:
        return self.reply_to(src, self.send(src, body, dest))

    def init(self) -> None:
        body = self.call("c1", {"type": "init", "node_id": self.node_id, "node_ids": self.node_ids})
        assert body["type"] == "init_ok"

    def close(self) -> int:
        """Close stdin; every message written since is read; the exit status."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=WAIT)
        for thread in self._threads:
            thread.join(timeout=WAIT)
        while (line := self.lines.get_nowait()) is not None:
            self.raw.append(line)
            json.loads(line)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def driver_factory() -> Iterator[Any]:
    started: list[Driver] = []

    def make(script: str, backend: str, **options: Any) -> Driver:
        driver = Driver(script, backend, **options)
        started.append(driver)
        return driver

    yield make
    for driver in started:
        driver.kill()


GARBAGE = [
    b"this is not json\n",
    b"{\n",
    b"[]\n",
    b"null\n",
    b'{"src": "c1"}\n',
    b'{"src": "c1", "dest": "n1", "body": "echo"}\n',
    b'{"src": 1, "dest": "n1", "body": {"type": "echo", "msg_id": 999}}\n',
    b"\xff\xfe not utf-8\n",
    b"\r\n",
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_echo_node_speaks_the_protocol(driver_factory: Any, backend: str) -> None:
    node = driver_factory("echo.py", backend, node_ids=("n1", "n2", "n3"))
    node.init()
    for data in GARBAGE:
        node.write_raw(data)
    unicode = 'héllo ☃ 𝄞 \u0000 \u2028 "quoted" \\ end'
    payloads = [unicode, 2**64, -(10**100), 1.5e300, {"nested": [1, None, True, {"k": "v"}]}, [], ""]
    for payload in payloads:
        body = node.call("c2", {"type": "echo", "echo": payload})
        assert body == {
            "type": "echo_ok",
            "echo": payload,
            "in_reply_to": body["in_reply_to"],
            "msg_id": body["msg_id"],
        }
    extra = node.call("c3", {"type": "echo", "echo": 1, "extra": {"ignored": True}, "other": [1, 2]})
    assert (extra["type"], extra["echo"]) == ("echo_ok", 1)
    unknown = node.call("c1", {"type": "frobnicate", "x": 1})
    assert (unknown["type"], unknown["code"]) == ("error", 10)
    assert isinstance(unknown["text"], str)
    wrong = node.call("c1", {"type": "echo", "echo": "for n2"}, dest="n2")
    assert (wrong["type"], wrong["code"]) == ("error", 1)
    second_init = node.call("c1", {"type": "init", "node_id": "n2", "node_ids": ["n2"]})
    assert second_init["type"] == "error"
    node.send("c1", {"type": "echo", "echo": "no reply wanted", "msg_id": None})
    node.write_raw(
        json.dumps({"src": "c1", "dest": "n1", "body": {"type": "echo", "echo": "nid"}}).encode() + b"\n"
    )
    ids = [node.send(f"c{i % 7 + 1}", {"type": "echo", "echo": i}) for i in range(1000)]
    replies = [node.receive() for _ in ids]
    assert [(m["dest"], m["body"]["in_reply_to"], m["body"]["echo"]) for m in replies] == [
        (f"c{i % 7 + 1}", msg_id, i) for i, msg_id in enumerate(ids)
    ]
    answered = len(node.raw)
    assert node.close() == 0
    assert len(node.raw) == answered  # nothing more: no reply to the requests without msg_id


@pytest.mark.parametrize("backend", BACKENDS)
def test_unique_ids_node_speaks_the_protocol(driver_factory: Any, backend: str) -> None:
    node = driver_factory("unique_ids.py", backend, node_id="n2", node_ids=("n1", "n2", "n3"))
    node.init()
    ids = [node.send("c1", {"type": "generate"}) for _ in range(200)]
    generated = [node.reply_to("c1", msg_id)["id"] for msg_id in ids]
    assert len({json.dumps(value) for value in generated}) == 200
    assert node.close() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_broadcast_node_speaks_the_protocol(driver_factory: Any, backend: str) -> None:
    node = driver_factory("broadcast.py", backend, node_ids=("n1", "n2", "n3"))
    node.init()
    gossip: list[dict[str, Any]] = []  # the node gossips to n2 on its own timer, at any moment

    def call(src: str, body: dict[str, Any]) -> dict[str, Any]:
        msg_id = node.send(src, body)
        while True:
            message = node.receive()
            if message["dest"] == "n2" and message["body"]["type"] == "gossip":
                gossip.append(message["body"])
                continue
            assert (message["dest"], message["body"].get("in_reply_to")) == (src, msg_id), message
            return message["body"]

    topo = call("c1", {"type": "topology", "topology": {"n1": ["n2"], "n2": ["n1", "n3"], "n3": ["n2"]}})
    assert topo["type"] == "topology_ok"
    assert call("c2", {"type": "broadcast", "message": 7})["type"] == "broadcast_ok"
    assert call("c2", {"type": "broadcast", "message": 10**30})["type"] == "broadcast_ok"
    assert call("n2", {"type": "gossip", "messages": [8]})["type"] == "gossip_ok"
    assert set(call("c3", {"type": "read"})["messages"]) == {7, 8, 10**30}
    while not gossip:
        message = node.receive()
        assert message["dest"] == "n2", message
        gossip.append(message["body"])
    assert all(body["type"] == "gossip" and set(body["messages"]) <= {7, 10**30} for body in gossip)
    assert node.close() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_g_counter_node_uses_seq_kv(driver_factory: Any, backend: str) -> None:
    node = driver_factory("g_counter.py", backend, node_ids=("n1", "n2"))
    node.init()
    assert node.call("c1", {"type": "read"})["value"] == 0
    for delta in (1, 2, 0, 10**20):
        assert node.call("c1", {"type": "add", "delta": delta})["type"] == "add_ok"
    node.kv["seq-kv"]['"counter"'] += 5  # another node's add, straight into the store
    assert node.call("c2", {"type": "read"})["value"] == 3 + 10**20 + 5
    assert node.close() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_lin_kv_node_relays_values_and_errors(driver_factory: Any, backend: str) -> None:
    node = driver_factory("lin_kv.py", backend, node_ids=("n1", "n2"))
    node.init()
    missing = node.call("c1", {"type": "read", "key": 0})
    assert (missing["type"], missing["code"]) == ("error", 20)
    assert node.call("c1", {"type": "write", "key": 0, "value": 3})["type"] == "write_ok"
    assert node.call("c2", {"type": "read", "key": 0}) | {"msg_id": 0, "in_reply_to": 0} == {
        "type": "read_ok",
        "value": 3,
        "msg_id": 0,
        "in_reply_to": 0,
    }
    failed = node.call("c2", {"type": "cas", "key": 0, "from": 4, "to": 5})
    assert (failed["type"], failed["code"]) == ("error", 22)
    assert node.call("c3", {"type": "cas", "key": 0, "from": 3, "to": 5})["type"] == "cas_ok"
    absent = node.call("c3", {"type": "cas", "key": 1, "from": 3, "to": 5})
    assert (absent["type"], absent["code"]) == ("error", 20)
    assert node.call("c1", {"type": "write", "key": "ключ", "value": "знач"})["type"] == "write_ok"
    assert node.call("c1", {"type": "read", "key": "ключ"})["value"] == "знач"
    assert node.close() == 0


def test_error_before_init_comes_from_the_addressed_node(driver_factory: Any) -> None:
    node = driver_factory("echo.py", "asyncio")
    early = node.call("c1", {"type": "echo", "echo": "early"})  # receive() checks src == "n1"
    assert (early["type"], early["code"]) == ("error", 11)
    node.init()
    assert node.close() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_stdin_closing_with_an_rpc_pending_exits_0(driver_factory: Any, backend: str) -> None:
    """``nodes.py waiting_kv`` waits for ``lin-kv`` in an ``async def`` handler (a blocking
    handler on threads); the service never answers. Maelstrom closes stdin at the end of a
    test whatever the node is waiting for.
    """
    node = driver_factory(str(Path(__file__).parent / "nodes.py"), backend, args=("waiting_kv",))
    node.init()
    node.send("c1", {"type": "read", "key": 1})
    node.write_raw(b'{"src": "c2", "dest": "n1", "body": {"type": "read", "key": 2, "msg_id": 77}}')
    asked = json.loads(node.lines.get(timeout=WAIT))  # the line without a newline waits for EOF
    assert (asked["dest"], asked["body"]["type"], asked["body"]["key"]) == ("lin-kv", "read", 1)
    assert node.close() == 0


def test_a_request_missing_a_field_is_malformed(driver_factory: Any) -> None:
    node = driver_factory("echo.py", "asyncio")
    node.init()
    answer = node.call("c1", {"type": "echo"})
    assert (answer["type"], answer["code"]) == ("error", 12), answer
    assert node.close() == 0


@pytest.fixture
def unlimited_digits() -> Iterator[None]:
    """This test process reads the node's 5000-digit reply too: lift Python's limit here."""
    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(digits)


@pytest.mark.usefixtures("unlimited_digits")
def test_an_integer_of_5000_digits_is_echoed(driver_factory: Any) -> None:
    node = driver_factory("echo.py", "asyncio")
    node.init()
    huge = 10**5000 - 1
    node.write_raw(
        b'{"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 2, "echo": ' + b"9" * 5000 + b"}}\n"
    )
    node.send("c1", {"type": "echo", "echo": "after", "msg_id": 3})
    first = node.receive()["body"]
    assert (first["in_reply_to"], first.get("echo")) == (2, huge), first
    assert node.close() == 0


def test_an_init_without_msg_id_gets_no_null_in_reply_to(driver_factory: Any) -> None:
    node = driver_factory("echo.py", "asyncio")
    node.write_raw(
        b'{"src": "c1", "dest": "n1", "body": {"type": "init", "node_id": "n1", "node_ids": ["n1"]}}\n'
    )
    assert node.close() == 0
    assert all(json.loads(line)["body"].get("in_reply_to", 0) is not None for line in node.raw)


class _SequentialKV(Driver):
    """A driver whose ``seq-kv`` is as stale as Maelstrom's may be (``service.clj``,
    ``Sequential``): an operation that changes nothing may see any state from the client's
    last observed one on, here always the oldest allowed; an operation that changes the
    store runs on the latest state and brings the client up to date.
    """

    states: list[dict[str, Any]]
    seen: dict[str, int]

    def _serve(self, service: str, body: dict[str, Any]) -> None:
        if service != "seq-kv":
            super()._serve(service, body)
            return
        key = json.dumps(body.get("key"))
        latest = self.states[-1]
        if body["type"] == "read":
            store = self.states[self.seen.get(self.node_id, 0)]
            reply: dict[str, Any] = (
                {"type": "read_ok", "value": store[key]}
                if key in store
                else {"type": "error", "code": 20, "text": "key does not exist"}
            )
        elif body["type"] == "cas" and key not in latest and not body.get("create_if_absent"):
            reply = {"type": "error", "code": 20, "text": "key does not exist"}  # a write creates it
        elif key in latest and body["type"] == "cas" and latest[key] != body["from"]:
            reply = {"type": "error", "code": 22, "text": "precondition failed"}
            self.states.append(latest)
        else:
            self.states.append({**latest, key: body["value" if body["type"] == "write" else "to"]})
            reply = {"type": f"{body['type']}_ok"}
        if body["type"] != "read":
            self.seen[self.node_id] = len(self.states) - 1
        self.send(service, {**reply, "in_reply_to": body["msg_id"]})


def test_g_counter_reads_past_a_stale_seq_kv() -> None:
    node = _SequentialKV("g_counter.py", "asyncio", node_ids=("n1", "n2"))
    node.states, node.seen = [{}], {}
    try:
        node.init()
        assert node.call("c1", {"type": "add", "delta": 1})["type"] == "add_ok"
        node.states.append({'"counter"': 6})  # n2 added 5 meanwhile; n1 has not seen it
        assert node.call("c2", {"type": "read"})["value"] == 6
        assert node.close() == 0
    finally:
        node.kill()
