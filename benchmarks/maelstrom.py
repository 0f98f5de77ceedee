"""``python -m benchmarks.maelstrom [--quick] [--large]``: Maelstrom figures as JSON lines.

- ``maelstrom_echo_throughput``: echo requests one node answers per second, per backend,
  fed straight through its stdin (no harness); the floor is a bare ``json`` echo loop.
- ``maelstrom_harness_routing``: node-to-node messages the harness routes per second (its
  own parsing, partition check and delivery, with fake nodes), with and without latency.
- ``maelstrom_broadcast``: the example broadcast node under the harness, 5 nodes, 100 ms
  latency, 100 ops/s: messages per operation and the stable latency's median and maximum,
  for the topology Maelstrom gives (grid) and the node's own star. ``--large`` adds 25
  nodes, against the Gossip Glomers targets (under 30 messages per op, median under
  400 ms, maximum under 600 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from spawned.maelstrom.harness import Config, Harness
from spawned.maelstrom.harness._harness import _Node

ROOT = Path(__file__).parent.parent
ECHO = ROOT / "examples" / "maelstrom" / "echo.py"
BROADCAST = ROOT / "examples" / "maelstrom" / "broadcast.py"
BACKENDS = ("asyncio", "trio", "threads")
BARE_ECHO = """
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    b = m["body"]
    r = {"type": b["type"] + "_ok", "in_reply_to": b["msg_id"]}
    if b["type"] == "echo":
        r["echo"] = b["echo"]
    sys.stdout.write(json.dumps({"src": m["dest"], "dest": m["src"], "body": r}) + "\\n")
    sys.stdout.flush()
"""


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    print(
        json.dumps(
            {"name": name, "value": round(value, 4) if value < 1000 else round(value), "unit": unit, **extra}
        ),
        flush=True,
    )


def echo_rate(command: list[str], requests: int) -> float:
    """Echo requests per second through one node process's stdin and stdout."""
    init = {
        "src": "c0",
        "dest": "n1",
        "body": {"type": "init", "msg_id": 0, "node_id": "n1", "node_ids": ["n1"]},
    }
    lines = [json.dumps(init) + "\n"]
    lines += [
        json.dumps({"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": i, "echo": f"hello {i}"}})
        + "\n"
        for i in range(1, requests + 1)
    ]
    process = subprocess.Popen(  # noqa: S603 - our own node
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:
        msg = "the node was started with pipes"
        raise RuntimeError(msg)
    stdin.write(lines[0])
    stdin.flush()
    stdout.readline()  # init_ok: the node is up

    def feed() -> None:
        stdin.writelines(lines[1:])
        stdin.close()

    start = time.perf_counter()
    writer = threading.Thread(target=feed)
    writer.start()
    answered = sum(1 for _ in stdout)
    elapsed = time.perf_counter() - start
    writer.join()
    process.wait()
    if answered != requests:
        msg = f"{command}: {answered} replies to {requests} echoes"
        raise RuntimeError(msg)
    return requests / elapsed


class _Sink:
    def __init__(self) -> None:
        self.count = 0
        self.done: asyncio.Event | None = None
        self.wanted = 0

    def write(self, _data: bytes) -> None:
        self.count += 1
        if self.done is not None and self.count >= self.wanted:
            self.done.set()

    def is_closing(self) -> bool:
        return False


class _FakeProcess:
    def __init__(self) -> None:
        self.stdin = _Sink()


async def routing_rate(messages: int, latency: float) -> float:
    """Node-to-node messages per second through the harness's routing, with fake nodes."""
    harness = Harness(Config(workload="broadcast", command=("none",), node_count=2, latency=latency))
    harness.loop = asyncio.get_running_loop()
    sink = _FakeProcess()
    for node_id in ("n1", "n2"):
        harness.nodes[node_id] = _Node(node_id, sink, None)  # type: ignore[arg-type]
    body = {"type": "gossip", "msg_id": 1, "messages": [1, 2, 3]}
    line = json.dumps({"src": "n1", "dest": "n2", "body": body}).encode() + b"\n"
    sink.stdin.done = asyncio.Event()
    sink.stdin.wanted = messages
    start = time.perf_counter()
    for _ in range(messages):
        harness._from_node("n1", line)
    await sink.stdin.done.wait()
    return messages / (time.perf_counter() - start)


def broadcast(nodes: int, topology: str, seconds: float) -> dict[str, Any]:
    command = (sys.executable, str(BROADCAST), "--topology", topology)
    with TemporaryDirectory() as folder:
        config = Config(
            workload="broadcast",
            command=command,
            node_count=nodes,
            time_limit=seconds,
            rate=100,
            latency=0.1,
            results=Path(folder),
        )
        harness = Harness(config)
        try:
            result = asyncio.run(harness.run())
        finally:
            harness.kill_all()
    latency = result.stats["stable-latency"]
    return {
        "valid": result.valid,
        "msgs_per_op": result.stats["msgs-per-op"],
        "median_ms": round(1000 * latency["0.5"]),
        "p99_ms": round(1000 * latency["0.99"]),
        "max_ms": round(1000 * latency["1.0"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.maelstrom", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds; proves the script runs")
    parser.add_argument("--large", action="store_true", help="also broadcast on 25 nodes")
    args = parser.parse_args()
    requests = 2_000 if args.quick else 20_000
    floor = echo_rate([sys.executable, "-c", BARE_ECHO], requests)
    for backend in BACKENDS:
        rate = echo_rate([sys.executable, str(ECHO), "--backend", backend], requests)
        emit(
            "maelstrom_echo_throughput",
            rate,
            "req/s",
            backend=backend,
            floor=round(floor),
            floor_name="bare json loop",
        )
    routed = 20_000 if args.quick else 200_000
    for latency in (0.0, 0.1):
        rate = asyncio.run(routing_rate(routed, latency))
        emit("maelstrom_harness_routing", rate, "msgs/s", latency_ms=round(latency * 1000))
    seconds = 3.0 if args.quick else 10.0
    sizes = [(5, "given"), (5, "star")] + ([(25, "given"), (25, "star")] if args.large else [])
    for nodes, topology in sizes:
        figures = broadcast(nodes, topology, seconds)
        extra: dict[str, Any] = {}
        if nodes == 25:
            extra["met"] = (
                figures["msgs_per_op"] < 30 and figures["median_ms"] < 400 and figures["max_ms"] < 600
            )
        emit(
            "maelstrom_broadcast",
            figures["msgs_per_op"],
            "msgs/op",
            nodes=nodes,
            latency_ms=100,
            rate=100,
            topology="grid" if topology == "given" else topology,
            seconds=seconds,
            **figures,
            **extra,
        )


if __name__ == "__main__":
    main()
