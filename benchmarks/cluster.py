"""``python -m benchmarks.cluster [--quick]``: spawned.cluster figures as JSON lines.

Needs the ``cluster`` extra; without it, says so and exits 0. Starts an embedded NATS server,
a node subprocess "b" (``benchmarks/_cluster_app.py``: an echo, a sink and a CPU-bound
server, and beside them a bare nats-py responder on its own connection), and measures from
this process, which joins as node "a" on each backend:

- ``cluster_call_latency_median``: a remote ``call`` (an int, answered with itself), beside a
  bare nats-py request/reply between the same two processes (the floor).
- ``cluster_cast_throughput``: remote casts delivered per second (a call after the last one
  returns once the sink has counted them all), beside a bare nats-py publish loop's
  delivered rate measured the same way.
- ``cluster_remote_spawn``: start a server on node "b" from here (a call to a server there that
  starts it and answers its handle) and call it once, beside a remote call (the floor).
- ``cluster_node_down`` (asyncio): from ``kill -9`` of a node to ``Down(noconnection)`` in a
  process monitoring one of its processes, beside the server's ``$SYS`` disconnect event
  reaching a bare system connection in this process.
- ``cluster_cpu_scaling`` (asyncio): aggregate calls per second of a CPU-bound handler
  (about 10 ms a call) with two nodes, beside one node, by turns; ``speedup`` is the median
  of the rounds' ratios and ``load`` the machine's load average then (other work on the
  machine takes the cores the second node needs).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs
from attrs import frozen

from ._report import emit, percentile, progress

BACKENDS = ("asyncio", "trio", "threads")
APP = "benchmarks._cluster_app:app"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120 - a str for PYTHONPATH


@frozen
class Sizes:
    rounds: int
    calls: int
    casts: int
    spawns: int
    downs: int
    scaling_seconds: float


FULL = Sizes(rounds=5, calls=3_000, casts=100_000, spawns=1_000, downs=5, scaling_seconds=2.0)
QUICK = Sizes(rounds=1, calls=200, casts=5_000, spawns=50, downs=1, scaling_seconds=0.5)


# -- the floors: bare nats-py between the same two processes ------------------------------------------


async def _bare(server: Any, sizes: Sizes) -> tuple[list[float], list[float]]:
    import nats  # noqa: PLC0415

    connect: Any = getattr(nats, "connect")  # noqa: B009 - partly untyped in nats-py
    nc: Any = await connect(**server.connect_options())
    try:
        latencies: list[float] = []
        rates: list[float] = []
        payload = b"\x01"
        for _ in range(sizes.rounds):
            samples: list[float] = []
            for _ in range(sizes.calls):
                start = time.perf_counter()
                await nc.request("bench.bare.echo", payload, timeout=10)
                samples.append(time.perf_counter() - start)
            latencies.append(percentile(samples, 0.5) * 1e6)
            start = time.perf_counter()
            for _ in range(sizes.casts):
                await nc.publish("bench.bare.sink", payload)
            count = int((await nc.request("bench.bare.count", b"", timeout=60)).data)
            elapsed = time.perf_counter() - start
            if count != sizes.casts:
                msg = f"the bare sink counted {count} of {sizes.casts}"
                raise RuntimeError(msg)
            rates.append(sizes.casts / elapsed)
        return latencies, rates
    finally:
        await nc.close()


# -- spawned, on each backend ---------------------------------------------------------------------------


async def _tasks_figures(cluster: Any, sizes: Sizes) -> tuple[list[float], list[float], list[float]]:
    from spawned import tasks  # noqa: PLC0415

    async with tasks.Runtime(cluster=cluster) as runtime:
        echo = await runtime.node.whereis("echo", node="b")
        sink = await runtime.node.whereis("sink", node="b")
        spawner = await runtime.node.whereis("spawner", node="b")
        latencies: list[float] = []
        rates: list[float] = []
        spawns: list[float] = []
        for _ in range(sizes.rounds):
            samples: list[float] = []
            for _ in range(sizes.spawns):
                start = time.perf_counter()
                await (await spawner.call("spawn")).call(1)
                samples.append(time.perf_counter() - start)
            spawns.append(percentile(samples, 0.5) * 1e6)
            samples: list[float] = []
            for _ in range(sizes.calls):
                start = time.perf_counter()
                await echo.call(1)
                samples.append(time.perf_counter() - start)
            latencies.append(percentile(samples, 0.5) * 1e6)
            start = time.perf_counter()
            for _ in range(sizes.casts):
                sink.cast(1)
            count = await sink.call("count", timeout=60)
            rates.append(_rate(count, sizes.casts, start))
        return latencies, rates, spawns


def _threads_figures(cluster: Any, sizes: Sizes) -> tuple[list[float], list[float], list[float]]:
    from spawned import threads  # noqa: PLC0415

    with threads.Runtime(cluster=cluster) as runtime:
        echo = runtime.node.whereis("echo", node="b")
        sink = runtime.node.whereis("sink", node="b")
        spawner = runtime.node.whereis("spawner", node="b")
        latencies: list[float] = []
        rates: list[float] = []
        spawns: list[float] = []
        for _ in range(sizes.rounds):
            samples: list[float] = []
            for _ in range(sizes.spawns):
                start = time.perf_counter()
                spawner.call("spawn").call(1)
                samples.append(time.perf_counter() - start)
            spawns.append(percentile(samples, 0.5) * 1e6)
            samples: list[float] = []
            for _ in range(sizes.calls):
                start = time.perf_counter()
                echo.call(1)
                samples.append(time.perf_counter() - start)
            latencies.append(percentile(samples, 0.5) * 1e6)
            start = time.perf_counter()
            for _ in range(sizes.casts):
                sink.cast(1)
            count = sink.call("count", timeout=60)
            rates.append(_rate(count, sizes.casts, start))
        return latencies, rates, spawns


def _rate(count: int, sent: int, start: float) -> float:
    elapsed = time.perf_counter() - start
    if count != sent:
        msg = f"the sink counted {count} of {sent} casts"
        raise RuntimeError(msg)
    return sent / elapsed


def latency_and_throughput(server: Any, sizes: Sizes) -> None:
    import anyio  # noqa: PLC0415

    from spawned.cluster._nodeproc import NodeProcess  # noqa: PLC0415

    one = attrs.evolve(sizes, rounds=1)
    for backend in BACKENDS:
        progress(f"cluster: call latency and cast throughput, node b and this node on {backend}")
        bare_latency: list[float] = []
        bare_rate: list[float] = []
        latency: list[float] = []
        rate: list[float] = []
        spawn: list[float] = []
        with NodeProcess(server.cluster("b"), "b", APP, backend, path=(ROOT,)):
            cluster = server.cluster("a")
            for _ in range(sizes.rounds):  # the floor and spawned by turns, under the same load
                floor_figures = asyncio.run(_bare(server, one))
                if backend == "threads":
                    figures = _threads_figures(cluster, one)
                else:
                    figures = anyio.run(_tasks_figures, cluster, one, backend=backend)
                for into, got in zip((bare_latency, bare_rate), floor_figures, strict=True):
                    into.extend(got)
                for into, got in zip((latency, rate, spawn), figures, strict=True):
                    into.extend(got)
        floor = "bare nats-py request/reply"
        _figure("cluster_call_latency_median", backend, latency, bare_latency, "us", floor, higher=False)
        floor = "bare nats-py publish loop"
        _figure("cluster_cast_throughput", backend, rate, bare_rate, "msgs/s", floor, higher=True)
        _figure("cluster_remote_spawn", backend, spawn, latency, "us", "a remote call", higher=False)


def _figure(  # noqa: PLR0917 - a figure's parts
    name: str, backend: str, got: list[float], bare: list[float], unit: str, floor: str, *, higher: bool
) -> None:
    import statistics  # noqa: PLC0415

    emit(
        name,
        backend,
        statistics.median(got),
        unit,
        floor=statistics.median(bare),
        floor_name=floor,
        higher_is_better=higher,
        rounds=len(got),
    )


# -- node-down ---------------------------------------------------------------------------------------------


async def _node_down(server: Any, sizes: Sizes) -> tuple[list[float], list[float]]:
    import nats  # noqa: PLC0415

    from spawned import Down, GenServer, tasks  # noqa: PLC0415
    from spawned.cluster._nodeproc import NodeProcess  # noqa: PLC0415

    downs: asyncio.Queue[float] = asyncio.Queue()
    events: asyncio.Queue[tuple[str, float]] = asyncio.Queue()

    class Watcher(GenServer[Any, Any, Any]):
        def handle_info(self, msg: Any) -> None:
            if isinstance(msg, Down):
                downs.put_nowait(time.perf_counter())

    async def on_event(msg: Any) -> None:
        events.put_nowait((json.loads(msg.data)["client"].get("name", ""), time.perf_counter()))

    connect: Any = getattr(nats, "connect")  # noqa: B009 - partly untyped in nats-py
    system: Any = await connect(**server.connect_options(system=True))
    await system.subscribe("$SYS.ACCOUNT.*.DISCONNECT", cb=on_event)
    got: list[float] = []
    bare: list[float] = []
    try:
        async with tasks.Runtime(cluster=server.cluster("a")) as runtime:
            for i in range(sizes.downs):
                name = f"down{i}"
                node = await asyncio.to_thread(
                    NodeProcess(server.cluster(name), name, APP, path=(ROOT,)).start
                )
                sink = await runtime.node.whereis("sink", node=name)
                watcher = await runtime.start(Watcher())
                watcher._process.monitor(sink._process)  # as the server would: self.monitor(sink)
                await sink.call("count")  # the monitor has reached node `name` (FIFO)
                start = time.perf_counter()
                os.kill(node.pid, signal.SIGKILL)
                got.append((await downs.get() - start) * 1e3)
                while True:
                    client, at = await events.get()
                    if client.startswith(f"spawned:spawned:{name}:"):
                        bare.append((at - start) * 1e3)
                        break
                await asyncio.to_thread(node.kill)
                await watcher.stop()
    finally:
        await system.close()
    return got, bare


def node_down(server: Any, sizes: Sizes) -> None:
    progress("cluster: node-down detection (kill -9 -> Down(noconnection)), asyncio")
    got, bare = asyncio.run(_node_down(server, sizes))
    _figure("cluster_node_down", "asyncio", got, bare, "ms", "bare $SYS disconnect event", higher=False)


# -- scaling a CPU-bound handler -------------------------------------------------------------------------


def _calibrate() -> int:
    from benchmarks._cluster_app import crunch  # noqa: PLC0415

    n = 10_000
    while True:
        start = time.perf_counter()
        crunch(n)
        if time.perf_counter() - start >= 0.01:
            return n
        n *= 2


async def _calls_per_second(handles: list[Any], work: int, seconds: float, callers: int) -> float:
    done = 0
    stop_at = time.perf_counter() + seconds

    async def caller(handle: Any) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await handle.call(work, timeout=60)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(caller(handles[i % len(handles)]) for i in range(callers)))
    return done / (time.perf_counter() - start)


async def _scaling(server: Any, sizes: Sizes) -> tuple[list[float], list[float]]:
    from spawned import tasks  # noqa: PLC0415
    from spawned.cluster._nodeproc import NodeProcess  # noqa: PLC0415

    work = _calibrate()
    one = NodeProcess(server.cluster("w1"), "w1", APP, path=(ROOT,))
    two = NodeProcess(server.cluster("w2"), "w2", APP, path=(ROOT,))
    await asyncio.to_thread(one.start)
    try:
        await asyncio.to_thread(two.start)
        async with tasks.Runtime(cluster=server.cluster("a")) as runtime:
            first = await runtime.node.whereis("cruncher", node="w1")
            second = await runtime.node.whereis("cruncher", node="w2")
            await _calls_per_second([first, second], work, sizes.scaling_seconds / 4, 4)  # warm up
            single: list[float] = []
            double: list[float] = []
            for _ in range(sizes.rounds):  # by turns, so both see the same load
                single.append(await _calls_per_second([first], work, sizes.scaling_seconds, 4))
                double.append(await _calls_per_second([first, second], work, sizes.scaling_seconds, 4))
    finally:
        await asyncio.to_thread(two.stop)
        await asyncio.to_thread(one.stop)
    return single, double


def scaling(server: Any, sizes: Sizes) -> None:
    progress("cluster: CPU-bound handler, 1 node vs 2 nodes, asyncio")
    import statistics  # noqa: PLC0415

    single, double = asyncio.run(_scaling(server, sizes))
    emit(
        "cluster_cpu_scaling",
        "asyncio",
        statistics.median(double),
        "calls/s",
        floor=statistics.median(single),
        floor_name="1 node",
        higher_is_better=True,
        speedup=round(statistics.median(d / s for d, s in zip(double, single, strict=True)), 2),
        rounds=len(single),
        load=round(os.getloadavg()[0], 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds; proves the suite runs")
    args = parser.parse_args(argv)
    missing = [name for name in ("nats", "msgspec") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"skipped: the cluster figures need pip install 'spawned[cluster]' ({', '.join(missing)})")
        return 0
    from spawned.cluster import EmbeddedServer  # noqa: PLC0415

    sizes = QUICK if args.quick else FULL
    steps: list[Callable[[Any, Sizes], None]] = [latency_and_throughput, node_down, scaling]
    with EmbeddedServer(jetstream=False) as server:
        for step in steps:
            step(server, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
