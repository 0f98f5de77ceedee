"""The harness: node processes, a simulated network, services, a workload and its check.

Written against Maelstrom's protocol with plain asyncio; it never imports spawned's
runtime, so it tests any node program, in any language.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from itertools import count
from pathlib import Path
from typing import IO, Any, TypeGuard

import attrs
from attrs import define, field, frozen
from loguru import logger

from ._checkers import CHECKERS, Check, Op
from ._services import SERVICES, KVService
from ._values import typed

WORKLOADS = tuple(CHECKERS)
TOPOLOGIES = ("grid", "line", "total", "tree2", "tree3", "tree4")
LATENCY_DISTRIBUTIONS = ("constant", "uniform", "exponential")
STOP_GRACE = 5.0
"""Seconds a node gets to exit after its stdin closes, before it is killed."""
INIT_TIMEOUT = 10.0
DEFINITE_CODES = frozenset({1, 10, 11, 12, 14, 20, 21, 22, 30})
"""The error codes Maelstrom defines as definite; any other code (0 timeout, 13 crash, or
one Maelstrom does not know) leaves the operation's outcome unknown, as in Maelstrom."""
MAX_DEFAULT_CONCURRENCY = 1000
"""The most clients the harness starts when ``concurrency`` is not given, however high the rate."""


@frozen
class Config:
    """What to run and how: the options of ``python -m spawned.maelstrom.harness``.

    Times are in seconds (the command line takes ``--latency`` in milliseconds, as
    Maelstrom does). ``concurrency`` (the number of clients) defaults to enough clients to
    keep up with ``rate``, at least two per node and at most `MAX_DEFAULT_CONCURRENCY`.

    Raises:
        ValueError: an option is out of range (each message names the option and its value).
    """

    workload: str
    command: tuple[str, ...]
    node_count: int = 1
    time_limit: float = 5.0
    rate: float = 10.0
    concurrency: int | None = None
    latency: float = 0.0
    latency_dist: str = "constant"
    loss: float = 0.0
    nemesis: tuple[str, ...] = ()
    nemesis_interval: float = 1.0
    topology: str = "grid"
    op_timeout: float = 1.0
    recovery: float = 5.0
    results: Path | None = None
    seed: int | None = None
    stop_grace: float = STOP_GRACE

    def __attrs_post_init__(self) -> None:
        if self.workload not in WORKLOADS:
            msg = f"workload must be one of {WORKLOADS}, not {self.workload!r}"
            raise ValueError(msg)
        if self.topology not in TOPOLOGIES:
            msg = f"topology must be one of {TOPOLOGIES}, not {self.topology!r}"
            raise ValueError(msg)
        if self.latency_dist not in LATENCY_DISTRIBUTIONS:
            msg = f"latency distribution must be one of {LATENCY_DISTRIBUTIONS}, not {self.latency_dist!r}"
            raise ValueError(msg)
        if unknown := set(self.nemesis) - {"partition"}:
            msg = f"the only nemesis is 'partition', not {sorted(unknown)}"
            raise ValueError(msg)
        if not self.command:
            msg = "a node command is required (--bin)"
            raise ValueError(msg)
        self._check_numbers()

    def _check_numbers(self) -> None:
        if self.node_count < 1 or (self.concurrency is not None and self.concurrency < 1):
            msg = f"node count and concurrency must be positive: {self.node_count}, {self.concurrency}"
            raise ValueError(msg)
        for name in ("rate", "time_limit", "op_timeout", "nemesis_interval"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                msg = f"{name} must be positive and finite, not {value}"
                raise ValueError(msg)
        for name in ("latency", "recovery", "stop_grace"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                msg = f"{name} must be zero or more, and finite, not {value}"
                raise ValueError(msg)
        if not 0 <= self.loss <= 1:
            msg = f"loss is a probability between 0 and 1, not {self.loss}"
            raise ValueError(msg)


@frozen
class Result:
    """The outcome of a run: the check, the harness's own problems, and figures."""

    valid: bool
    check: Check
    errors: tuple[str, ...]
    stats: dict[str, Any]
    results: Path | None

    @property
    def verdict(self) -> str:
        """``"valid"``, ``"invalid"``, or ``"unknown"`` when the checker could not decide
        and nothing else went wrong (never valid, as in Maelstrom).
        """
        if self.valid:
            return "valid"
        return "unknown" if self.check.unknown and not self.errors else "invalid"


def topology(kind: str, nodes: Sequence[str]) -> dict[str, list[str]]:  # noqa: C901 - one case per kind
    """Each node's neighbours: a grid, a line, everyone (``total``) or a k-ary tree."""
    n = len(nodes)
    neighbours: dict[str, set[str]] = {node: set() for node in nodes}

    def join(a: int, b: int) -> None:
        neighbours[nodes[a]].add(nodes[b])
        neighbours[nodes[b]].add(nodes[a])

    if kind == "total":
        for a in range(n):
            for b in range(a + 1, n):
                join(a, b)
    elif kind == "line":
        for a in range(n - 1):
            join(a, a + 1)
    elif kind == "grid":
        width = max(1, math.ceil(math.sqrt(n)))
        for a in range(n):
            if (a + 1) % width and a + 1 < n:
                join(a, a + 1)
            if a + width < n:
                join(a, a + width)
    else:
        fanout = int(kind.removeprefix("tree"))
        for a in range(1, n):
            join(a, (a - 1) // fanout)
    return {node: sorted(peers, key=nodes.index) for node, peers in neighbours.items()}


@define
class _Node:
    id: str
    process: asyncio.subprocess.Process
    log: IO[bytes]
    reader: asyncio.Task[None] | None = None


@define
class _Stats:
    messages: int = 0
    server_messages: int = 0
    dropped: int = 0
    unknown_dest: int = 0
    client_ops: int = 0
    events: list[dict[str, Any]] = field(factory=list[dict[str, Any]])


class Harness:
    """Runs one test: start the nodes, init them, drive the workload, heal, check."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rng: random.Random = random.Random(config.seed)  # noqa: S311 - a simulation, not cryptography
        self.node_ids: list[str] = [f"n{i}" for i in range(1, config.node_count + 1)]
        self.nodes: dict[str, _Node] = {}
        self.services: dict[str, KVService] = {name: KVService(name) for name in SERVICES}
        self.waiting: dict[tuple[str, int], asyncio.Future[dict[str, Any]]] = {}
        self.clients: set[str] = {"c0"}
        self.ids: count[int] = count(1)
        self.groups: dict[str, int] = {}
        self.stopping: bool = False
        self.final_phase: bool = False
        """Set once the workload is over: reads made from then on are final reads."""
        self.errors: list[str] = []
        self.history: list[Op] = []
        self.stats: _Stats = _Stats()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.results: Path | None = config.results

    # -- the run -----------------------------------------------------------------------

    async def run(self) -> Result:
        """Run the test and check it. The node processes are gone when this returns."""
        self.loop = asyncio.get_running_loop()
        if self.results is not None:
            self.results.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            if await self._start_nodes() and await self._init_nodes():
                if self.config.workload == "broadcast":
                    await self._send_topology()
                await self._run_workload()
                await self._final_reads()
        finally:
            await self.stop_nodes()
        check = self._check()
        stats = self._figures(check, time.monotonic() - started)
        result = Result(check.valid and not self.errors, check, tuple(self.errors), stats, self.results)
        self._write(result)
        return result

    def _check(self) -> Check:
        try:
            return CHECKERS[self.config.workload](self.history)
        except Exception as error:  # noqa: BLE001 - a checker bug must still give a result
            logger.opt(exception=error).error("harness: the {} checker failed", self.config.workload)
            return Check(valid=False, problems=(f"the checker failed: {error!r}",), unknown=True)

    def _figures(self, check: Check, elapsed: float) -> dict[str, Any]:
        ops = max(1, self.stats.client_ops)
        return {
            **check.stats,
            "ops": self.stats.client_ops,
            "messages": self.stats.messages,
            "server-messages": self.stats.server_messages,
            "dropped": self.stats.dropped,
            "unknown-destination": self.stats.unknown_dest,
            "msgs-per-op": round(self.stats.server_messages / ops, 3),
            "seconds": round(elapsed, 3),
        }

    def _write(self, result: Result) -> None:
        if self.results is None:
            return
        with (self.results / "history.jsonl").open("w") as out:
            for op in self.history:
                out.write(json.dumps(attrs.asdict(op), default=repr) + "\n")
        summary = {
            "valid": result.verdict if result.verdict == "unknown" else result.valid,
            "workload": self.config.workload,
            "problems": list(result.check.problems),
            "errors": list(result.errors),
            "stats": result.stats,
            "nemesis": self.stats.events,
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in attrs.asdict(self.config).items()},
        }
        (self.results / "results.json").write_text(json.dumps(summary, indent=2, default=repr) + "\n")

    # -- processes ---------------------------------------------------------------------

    async def _start_nodes(self) -> bool:
        """Start every node; on a command that cannot run, record why and answer False."""
        for node_id in self.node_ids:
            log = self._open_log(node_id)
            try:
                process = await asyncio.create_subprocess_exec(
                    *self.config.command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log,
                    start_new_session=True,  # Ctrl-C reaches the harness, which then stops the nodes
                    limit=1 << 24,
                )
            except OSError as error:
                log.close()
                self.errors.append(f"node {node_id} could not start {list(self.config.command)}: {error}")
                return False
            logger.info("harness: started {} (pid {})", node_id, process.pid)
            node = _Node(node_id, process, log)
            self.nodes[node_id] = node
            node.reader = asyncio.create_task(self._read(node))
        return True

    def _open_log(self, node_id: str) -> IO[bytes]:
        if self.results is None:
            return open(os.devnull, "wb")  # noqa: PTH123 - closed in stop_nodes
        return (self.results / f"{node_id}.log").open("wb")

    async def _read(self, node: _Node) -> None:
        stdout = node.process.stdout
        assert stdout is not None  # noqa: S101 - created with a pipe
        while line := await stdout.readline():
            self._from_node(node.id, line)
        if not self.stopping:
            code = await node.process.wait()
            self.errors.append(
                f"node {node.id} exited during the test with status {code} (see {node.id}.log)"
            )

    async def stop_nodes(self) -> None:
        """Close every node's stdin, give it ``stop_grace`` seconds to exit, then kill it."""
        self.stopping = True
        nodes = list(self.nodes.values())
        logger.info("harness: stopping {} nodes", len(nodes))
        for node in nodes:
            if node.process.stdin is not None:
                node.process.stdin.close()

        async def stop(node: _Node) -> None:
            try:
                code = await asyncio.wait_for(node.process.wait(), self.config.stop_grace)
            except TimeoutError:
                node.process.kill()
                await node.process.wait()
                grace = self.config.stop_grace
                self.errors.append(f"node {node.id} did not exit within {grace} s of its stdin closing")
            else:
                if code != 0:
                    self.errors.append(f"node {node.id} exited with status {code} (see {node.id}.log)")
            finally:
                node.log.close()
            if node.reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await node.reader

        await asyncio.gather(*(stop(node) for node in nodes))

    def kill_all(self) -> None:
        """Kill every node process still running (the last resort, never blocks)."""
        for node in self.nodes.values():
            if node.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    node.process.kill()

    # -- the network -------------------------------------------------------------------

    def _delay(self) -> float:
        latency = self.config.latency
        match self.config.latency_dist:
            case "uniform":
                return self.rng.uniform(0, 2 * latency)
            case "exponential":
                return self.rng.expovariate(1 / latency) if latency > 0 else 0.0
            case _:
                return latency

    def _from_node(self, node_id: str, line: bytes) -> None:
        try:
            message = json.loads(line)
            src, dest, body = message["src"], message["dest"], message["body"]
            if not isinstance(body, dict) or not isinstance(dest, str):
                raise TypeError  # noqa: TRY301 - one report for every malformed shape
        except (ValueError, KeyError, TypeError):
            self.errors.append(f"node {node_id} wrote a line that is not a Maelstrom message: {line[:200]!r}")
            return
        if src != node_id:
            self.errors.append(f"node {node_id} wrote a message with src {src!r}: {line[:200]!r}")
            return
        self._send(src, dest, line if line.endswith(b"\n") else line + b"\n", body)  # pyright: ignore[reportUnknownArgumentType]

    def _send(self, src: str, dest: str, data: bytes, body: dict[str, Any]) -> None:
        self.stats.messages += 1
        between_nodes = src in self.nodes and dest in self.nodes
        if between_nodes:
            self.stats.server_messages += 1
            if self.groups.get(src, 0) != self.groups.get(dest, 0) or (
                self.config.loss and self.rng.random() < self.config.loss
            ):
                self.stats.dropped += 1
                return
        delay = self._delay()
        assert self.loop is not None  # noqa: S101 - set by run()
        if delay > 0:
            self.loop.call_later(delay, self._deliver, src, dest, data, body)
        else:
            self._deliver(src, dest, data, body)

    def _deliver(self, src: str, dest: str, data: bytes, body: dict[str, Any]) -> None:
        node = self.nodes.get(dest)
        if node is not None:
            stdin = node.process.stdin
            if stdin is not None and not stdin.is_closing():
                stdin.write(data)
            return
        service = self.services.get(dest)
        if service is not None:
            reply = {**service.handle(body, src), "in_reply_to": body.get("msg_id")}
            self._send(dest, src, _line(dest, src, reply), reply)
            return
        if dest not in self.clients:
            self.stats.unknown_dest += 1
            if self.stats.unknown_dest == 1:
                logger.warning("harness: {} sent a message to {!r}, which does not exist", src, dest)
            return
        waiter = self.waiting.get((dest, body.get("in_reply_to", -1)))
        if waiter is not None and not waiter.done():
            waiter.set_result(body)

    async def request(
        self, client: str, node: str, body: dict[str, Any], timeout: float
    ) -> dict[str, Any] | None:
        """Send ``body`` from ``client`` to ``node``; the reply body, or ``None`` on timeout."""
        assert self.loop is not None  # noqa: S101 - set by run()
        msg_id = next(self.ids)
        body = {**body, "msg_id": msg_id}
        waiter: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self.waiting[client, msg_id] = waiter
        try:
            self._send(client, node, _line(client, node, body), body)
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None
        finally:
            del self.waiting[client, msg_id]

    # -- phases ------------------------------------------------------------------------

    async def _init_nodes(self) -> bool:
        async def init(node_id: str) -> None:
            body = {"type": "init", "node_id": node_id, "node_ids": self.node_ids}
            request = asyncio.ensure_future(self.request("c0", node_id, body, INIT_TIMEOUT))
            reader = self.nodes[node_id].reader
            assert reader is not None  # noqa: S101 - started with the node
            await asyncio.wait({request, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():  # the node exited first: its reader reported why
                request.cancel()
                return
            reply = request.result()
            if reply is None or reply.get("type") != "init_ok":
                self.errors.append(f"node {node_id} answered init with {reply!r}")

        await asyncio.gather(*(init(node_id) for node_id in self.node_ids))
        return not self.errors

    async def _send_topology(self) -> None:
        layout = topology(self.config.topology, self.node_ids)
        replies = await asyncio.gather(
            *(
                self.request("c0", node_id, {"type": "topology", "topology": layout}, INIT_TIMEOUT)
                for node_id in self.node_ids
            )
        )
        for node_id, reply in zip(self.node_ids, replies, strict=True):
            if reply is None or reply.get("type") != "topology_ok":
                self.errors.append(f"node {node_id} answered topology with {reply!r}")

    async def _run_workload(self) -> None:
        config = self.config
        concurrency = config.concurrency or min(
            MAX_DEFAULT_CONCURRENCY,
            max(2 * config.node_count, math.ceil(config.rate * (4 * config.latency + 0.05)) + 1),
        )
        start = time.monotonic()
        end = start + config.time_limit
        slots = count()
        generate = _GENERATORS[config.workload](self.rng)

        async def client(name: str) -> None:
            while True:
                at = start + next(slots) / config.rate
                if at >= end:
                    return
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                f, value, body = generate()
                await self._operation(name, self.rng.choice(self.node_ids), f, value, body)

        self.clients.update(f"c{i}" for i in range(1, concurrency + 1))
        nemesis = asyncio.create_task(self._nemesis()) if "partition" in config.nemesis else None
        logger.info(
            "harness: running {} for {} s at {} ops/s", config.workload, config.time_limit, config.rate
        )
        try:
            await asyncio.gather(*(client(f"c{i}") for i in range(1, concurrency + 1)))
        finally:
            if nemesis is not None:
                nemesis.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await nemesis
            if self.groups:
                self._heal()

    async def _operation(self, client: str, node: str, f: str, value: Any, body: dict[str, Any]) -> Op:
        invoke = time.monotonic()
        reply = await self.request(client, node, body, self.config.op_timeout)
        complete = time.monotonic()
        final = self.final_phase
        if not final:
            self.stats.client_ops += 1
        if reply is None:
            op = Op(client, node, f, value, invoke, complete, "info", final=final)
        elif reply.get("type") == "error":
            code = reply.get("code")
            outcome = "fail" if code in DEFINITE_CODES else "info"
            op = Op(client, node, f, value, invoke, complete, outcome, reply.get("text"), code, final=final)
        else:
            op = Op(client, node, f, value, invoke, complete, "ok", _RESULTS[f](reply), final=final)
        self.history.append(op)
        return op

    async def _nemesis(self) -> None:
        interval = self.config.nemesis_interval
        while True:
            await asyncio.sleep(interval)
            nodes = list(self.node_ids)
            self.rng.shuffle(nodes)
            cut = len(nodes) // 2  # random halves, as Maelstrom's partition nemesis
            self.groups = {node: 0 if i < cut else 1 for i, node in enumerate(nodes)}
            self.stats.events.append(
                {"at": time.monotonic(), "partition": [sorted(nodes[:cut]), sorted(nodes[cut:])]}
            )
            await asyncio.sleep(interval)
            self._heal()

    def _heal(self) -> None:
        self.groups = {}
        self.stats.events.append({"at": time.monotonic(), "heal": True})

    async def _final_reads(self) -> None:
        """After healing, read every node until they agree (or ``recovery`` runs out);
        the last round is the final reads the checker judges, earlier rounds are dropped.
        """
        if self.config.workload not in {"broadcast", "g-set", "g-counter"}:
            return
        self.final_phase = True
        deadline = time.monotonic() + self.config.recovery
        pause = max(0.05, 2 * self.config.latency)
        while True:
            round_ = await asyncio.gather(
                *(self._operation("c0", node, "read", None, {"type": "read"}) for node in self.node_ids)
            )
            if self._converged(round_) or time.monotonic() >= deadline:
                return
            for op in round_:  # only the last round counts: these were probes
                self.history.remove(op)
            await asyncio.sleep(pause)

    def _converged(self, reads: Sequence[Op]) -> bool:
        if any(op.outcome != "ok" for op in reads):
            return False
        adds = [
            op for op in self.history if op.f in {"broadcast", "add"} and op.outcome == "ok" and not op.final
        ]
        if self.config.workload == "g-counter":
            values = {typed(op.result) for op in reads}
            if len(values) != 1:
                return False
            kind, value = next(iter(values))
            return kind is int and value >= sum(op.value for op in adds)
        wanted = {typed(op.value) for op in adds}
        return all(_is_list(op.result) and wanted <= {typed(v) for v in op.result} for op in reads)


def _is_list(value: Any) -> TypeGuard[list[Any]]:
    return isinstance(value, list)


def _line(src: str, dest: str, body: dict[str, Any]) -> bytes:
    return json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":")).encode() + b"\n"


Generator = Callable[[], tuple[str, Any, dict[str, Any]]]


def _echo(rng: random.Random) -> Generator:
    def generate() -> tuple[str, Any, dict[str, Any]]:
        text = f"please echo {rng.randrange(1 << 30)}"
        return "echo", text, {"type": "echo", "echo": text}

    return generate


def _unique_ids(_rng: random.Random) -> Generator:
    return lambda: ("generate", None, {"type": "generate"})


def _set_adds(f: str, field_name: str) -> Callable[[random.Random], Generator]:
    def make(rng: random.Random) -> Generator:
        values = count()

        def generate() -> tuple[str, Any, dict[str, Any]]:
            if rng.random() < 0.5:
                return "read", None, {"type": "read"}
            value = next(values)
            return f, value, {"type": f, field_name: value}

        return generate

    return make


def _g_counter(rng: random.Random) -> Generator:
    def generate() -> tuple[str, Any, dict[str, Any]]:
        if rng.random() < 0.5:
            return "read", None, {"type": "read"}
        delta = rng.randint(0, 5)
        return "add", delta, {"type": "add", "delta": delta}

    return generate


def _lin_kv(rng: random.Random) -> Generator:
    def generate() -> tuple[str, Any, dict[str, Any]]:
        key = rng.randrange(3)
        match rng.choice(("read", "write", "cas")):
            case "read":
                return "read", (key, None), {"type": "read", "key": key}
            case "write":
                value = rng.randrange(5)
                return "write", (key, value), {"type": "write", "key": key, "value": value}
            case _:
                old, new = rng.randrange(5), rng.randrange(5)
                return "cas", (key, (old, new)), {"type": "cas", "key": key, "from": old, "to": new}

    return generate


_GENERATORS: dict[str, Callable[[random.Random], Generator]] = {
    "echo": _echo,
    "unique-ids": _unique_ids,
    "broadcast": _set_adds("broadcast", "message"),
    "g-set": _set_adds("add", "element"),
    "g-counter": _g_counter,
    "lin-kv": _lin_kv,
}

_RESULTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "echo": lambda reply: reply.get("echo"),
    "generate": lambda reply: reply.get("id"),
    "broadcast": lambda _reply: None,
    "add": lambda _reply: None,
    "read": lambda reply: reply.get("messages", reply.get("value")),
    "write": lambda _reply: None,
    "cas": lambda _reply: None,
}
