"""A node program's stdin/stdout behaviour: bad input, errors, RPCs, clean exit; every backend."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from spawned.testing import BACKENDS

NODES = Path(__file__).parent / "nodes.py"


def line(src: str, dest: str, body: dict[str, Any]) -> str:
    return json.dumps({"src": src, "dest": dest, "body": body}) + "\n"


INIT = line("c0", "n1", {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n2"]})


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input_is_logged_answered_where_possible_and_survived(backend: str) -> None:
    lines = [
        INIT,
        "this is not json\n",
        "[1, 2]\n",
        line("c1", "n2", {"type": "echo", "msg_id": 2, "echo": "x"}),
        line("c1", "n1", {"msg_id": 3, "echo": "x"}),
        line("c1", "n1", {"type": "nope", "msg_id": 4}),
        line("c1", "n1", {"type": "ask", "msg_id": 5}),
        line("c1", "n1", {"type": "fail", "msg_id": 6}),
        line("c1", "n1", {"type": "crash", "msg_id": 7}),
        line("c1", "n1", {"type": "echo", "msg_id": 8, "echo": [1, "two"], "extra": True}),
        line("c1", "n1", {"type": "nope_ok", "in_reply_to": 99}),
    ]
    done = subprocess.run(  # noqa: S603 - our own test node
        [sys.executable, str(NODES), "asker", "--backend", backend],
        input="".join(lines),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(text) for text in done.stdout.splitlines()]
    assert all(m["src"] == "n1" for m in out)
    replies = {m["body"]["in_reply_to"]: m["body"] for m in out}
    assert set(replies) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert replies[1]["type"] == "init_ok"
    codes = {k: (v["type"], v.get("code")) for k, v in replies.items() if k != 1}
    assert codes == {
        2: ("error", 1),  # node-not-found: addressed to n2
        3: ("error", 12),  # malformed-request: no type
        4: ("error", 10),  # not-supported
        5: ("error", 12),  # malformed-request: the Ask class needs dest and timeout
        6: ("error", 11),  # the handler's TemporarilyUnavailable
        7: ("error", 13),  # crash
        8: ("echo_ok", None),
    }
    assert replies[6]["text"] == "try later"
    assert replies[7]["text"] == "ValueError: boom"
    assert (replies[8]["echo"], replies[8]["extra"]) == ([1, "two"], True)
    ids = [m["body"]["msg_id"] for m in out if "msg_id" in m["body"]]
    assert len(ids) == len(set(ids))
    for expected in (
        "not JSON",
        "not a JSON object",
        "for 'n2' reached node 'n1'",
        "without a type",
        "no handler for 'nope'",
        "does not fit Ask",
        "crashed handling 'crash'",
        "ValueError: boom",
    ):
        assert expected in done.stderr


def test_messages_before_init_are_refused() -> None:
    lines = [line("c1", "n1", {"type": "echo", "msg_id": 1, "echo": "x"}), INIT]
    done = subprocess.run(  # noqa: S603 - our own test node
        [sys.executable, str(NODES), "asker"],
        input="".join(lines),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    first, second = (json.loads(text)["body"] for text in done.stdout.splitlines())
    assert (first["code"], first["in_reply_to"]) == (11, 1)
    assert second["type"] == "init_ok"
    assert "came before init" in done.stderr


class Peer:
    """Plays n2 (and the client) against a running node, one line at a time."""

    def __init__(self, backend: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own test node
            [sys.executable, str(NODES), "asker", "--backend", backend],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.watchdog = threading.Timer(60, self.process.kill)
        self.watchdog.start()

    def write(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def close(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        self.watchdog.cancel()
        return self.process.returncode, out, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_rpc_then_gets_replies_errors_and_timeouts_and_drops_late_replies(backend: str) -> None:
    peer = Peer(backend)
    try:
        peer.write(INIT)
        assert peer.read()["body"]["type"] == "init_ok"

        peer.write(line("c1", "n1", {"type": "ask", "msg_id": 2, "dest": "n2", "timeout": 0.2}))
        question = peer.read()
        assert (question["dest"], question["body"]["type"]) == ("n2", "question")
        timed_out = peer.read()["body"]  # nobody answers: the timeout fires
        assert (timed_out["in_reply_to"], timed_out["error"], timed_out["code"]) == (2, "Timeout", 0)
        late = {"type": "question_ok", "in_reply_to": question["body"]["msg_id"]}
        peer.write(line("n2", "n1", late))  # dropped: its RPC timed out

        peer.write(line("c1", "n1", {"type": "ask", "msg_id": 3, "dest": "n2", "timeout": 30}))
        question = peer.read()["body"]
        peer.write(line("n2", "n1", {"type": "question_ok", "in_reply_to": question["msg_id"], "x": 1}))
        answered = peer.read()["body"]
        assert (answered["in_reply_to"], answered["answer"]["x"]) == (3, 1)

        peer.write(line("c1", "n1", {"type": "ask", "msg_id": 4, "dest": "n2", "timeout": 30}))
        question = peer.read()["body"]
        refusal = {"type": "error", "in_reply_to": question["msg_id"], "code": 22, "text": "no"}
        peer.write(line("n2", "n1", refusal))
        failed = peer.read()["body"]
        assert (failed["in_reply_to"], failed["error"], failed["code"]) == (4, "PreconditionFailed", 22)
    finally:
        code, rest, err = peer.close()
    assert code == 0, err
    assert rest == ""  # the late reply produced nothing


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_node_that_crashes_in_setup_exits_with_status_1(backend: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own test node
        [sys.executable, str(NODES), "bad_setup", "--backend", backend],
        input=INIT + line("c1", "n1", {"type": "echo", "msg_id": 2, "echo": "x"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no setup today" in done.stderr


def test_a_last_line_without_newline_is_read() -> None:
    last = line("c1", "n1", {"type": "echo", "msg_id": 2, "echo": "x"}).rstrip("\n")
    done = subprocess.run(  # noqa: S603 - our own test node
        [sys.executable, str(NODES), "asker"],
        input=INIT + last,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(text)["body"]["type"] for text in done.stdout.splitlines()] == ["init_ok", "echo_ok"]
