"""Figures for ``spawned.tasks`` on asyncio or trio, each beside its bare floor, same run."""

from __future__ import annotations

import asyncio
import gc
import statistics
import tracemalloc
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from time import perf_counter, perf_counter_ns
from typing import Protocol, TypeVar

import anyio
import anyio.lowlevel
import trio

from spawned import tasks

from ._report import HANDLER_FLOOR, Reporter, Sizes, expect, handler_attached, percentile, progress
from ._servers import AsyncioBare, Counter, CounterMachine, TrioBare

T = TypeVar("T")


class Server(Protocol):
    def cast(self, msg: object) -> None: ...
    async def call(self, msg: object) -> int: ...
    async def stop(self) -> None: ...


class Subject(Protocol):
    async def start(self) -> Server: ...


class Spawned:
    def __init__(self, runtime: tasks.Runtime) -> None:
        self.runtime = runtime

    async def start(self) -> Server:
        return await self.runtime.start(Counter())


class SpawnedMachine(Spawned):
    async def start(self) -> Server:
        return await self.runtime.start(CounterMachine())


class BareAsyncio:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    async def start(self) -> Server:
        bare = AsyncioBare()
        self.loop.create_task(bare.run())
        return bare


class BareTrio:
    def __init__(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery

    async def start(self) -> Server:
        bare = TrioBare()
        self.nursery.start_soon(bare.run)
        return bare


@asynccontextmanager
async def spawned_subject() -> AsyncGenerator[Subject]:
    async with tasks.Runtime() as runtime:
        yield Spawned(runtime)


@asynccontextmanager
async def floor_subject(backend: str) -> AsyncGenerator[Subject]:
    if backend == "trio":
        async with trio.open_nursery() as nursery:
            yield BareTrio(nursery)
    else:
        yield BareAsyncio()


# -- one function per figure, written once against spawned and the floor ------------------


async def cast_throughput(subject: Subject, n: int) -> float:
    server = await subject.start()
    cast = server.cast
    started = perf_counter()
    for i in range(n):
        cast(i)
    handled = await server.call(None)
    elapsed = perf_counter() - started
    expect(handled, n)
    await server.stop()
    return n / elapsed


async def call_samples(server: Server, n: int) -> list[float]:
    call = server.call
    for _ in range(n // 10):
        await call(None)
    samples: list[int] = []
    clock = perf_counter_ns
    for _ in range(n):
        before = clock()
        await call(None)
        samples.append(clock() - before)
    return [s / 1000 for s in samples]


async def call_latency(subject: Subject, n: int) -> tuple[float, float]:
    server = await subject.start()
    samples = await call_samples(server, n)
    await server.stop()
    return statistics.median(samples), percentile(samples, 0.99)


async def fan_in(subject: Subject, clients: int, calls: int) -> float:
    server = await subject.start()

    async def client() -> None:
        for _ in range(calls):
            await server.call(None)

    started = perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(clients):
            group.start_soon(client)
    elapsed = perf_counter() - started
    await server.stop()
    return clients * calls / elapsed


async def start_call_stop(subject: Subject, n: int) -> float:
    started = perf_counter()
    for _ in range(n):
        server = await subject.start()
        await server.call(None)
        await server.stop()
    return (perf_counter() - started) / n * 1e6


async def live(subject: Subject, k: int, calls: int, casts: int) -> dict[str, float]:
    """Start ``k`` servers, measure one of them while the rest idle, stop them all."""
    started = perf_counter()
    servers = [await subject.start() for _ in range(k)]
    start_us = (perf_counter() - started) / k * 1e6
    middle = servers[k // 2]
    call_us = statistics.median(await call_samples(middle, calls))
    cast = middle.cast
    before = await middle.call(None)
    started = perf_counter()
    for i in range(casts):
        cast(i)
    expect(await middle.call(None), before + casts)
    cast_rate = casts / (perf_counter() - started)
    started = perf_counter()
    for server in servers:
        await server.stop()
    stop_us = (perf_counter() - started) / k * 1e6
    return {"start": start_us, "stop": stop_us, "call": call_us, "cast": cast_rate}


async def idle_memory(subject: Subject, k: int) -> float:
    """Bytes traced per idle server (each parked in its mailbox wait)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        servers = [await subject.start() for _ in range(k)]
        await anyio.lowlevel.checkpoint()  # let bare tasks run once and park
        gc.collect()
        per_server = (tracemalloc.get_traced_memory()[0] - before) / k
    finally:
        tracemalloc.stop()
    for server in servers:
        await server.stop()
    return per_server


# -- the run ---------------------------------------------------------------------------


async def telemetry_figures(backend: str, sizes: Sizes) -> None:
    """Cast throughput and call latency with a do-nothing telemetry handler attached, beside none."""
    progress(f"{backend}: a telemetry handler attached")

    async def handled(measure: Callable[[Subject], Awaitable[T]]) -> tuple[list[T], list[T]]:
        """``measure`` with a do-nothing telemetry handler attached, and with none, interleaved."""
        attached: list[T] = []
        plain: list[T] = []
        for _ in range(sizes.rounds):
            gc.collect()
            with handler_attached():
                async with spawned_subject() as subject:
                    attached.append(await measure(subject))
            gc.collect()
            async with spawned_subject() as subject:
                plain.append(await measure(subject))
        return attached, plain

    telemetry_out = Reporter(backend, HANDLER_FLOOR)
    got, bare = await handled(lambda s: cast_throughput(s, sizes.casts))
    telemetry_out.rate("telemetry_cast_throughput", got, bare, "msgs/s", n=sizes.casts)
    latencies, bare_latencies = await handled(lambda s: call_latency(s, sizes.calls))
    telemetry_out.cost(
        "telemetry_call_latency_median", [m for m, _ in latencies], [m for m, _ in bare_latencies], "us"
    )


async def run_all(backend: str, sizes: Sizes) -> None:
    floor_name = "deque+Event" if backend == "trio" else "deque+Future"
    out = Reporter(backend, floor_name)

    async def both(measure: Callable[[Subject], Awaitable[T]]) -> tuple[list[T], list[T]]:
        """``measure(subject)`` for spawned and for the floor, once per round, interleaved."""
        spawned_values: list[T] = []
        floor_values: list[T] = []
        for _ in range(sizes.rounds):
            gc.collect()
            async with spawned_subject() as subject:
                spawned_values.append(await measure(subject))
            gc.collect()
            async with floor_subject(backend) as subject:
                floor_values.append(await measure(subject))
        return spawned_values, floor_values

    progress(f"{backend}: cast throughput")
    got, bare = await both(lambda s: cast_throughput(s, sizes.casts))
    out.rate("cast_throughput", got, bare, "msgs/s", n=sizes.casts)

    progress(f"{backend}: call latency")
    latencies, bare_latencies = await both(lambda s: call_latency(s, sizes.calls))
    out.cost("call_latency_median", [m for m, _ in latencies], [m for m, _ in bare_latencies], "us")
    out.cost("call_latency_p99", [p for _, p in latencies], [p for _, p in bare_latencies], "us")

    await telemetry_figures(backend, sizes)

    progress(f"{backend}: GenStateMachine call latency")
    machine: list[float] = []
    server: list[float] = []
    for _ in range(sizes.rounds):
        gc.collect()
        async with tasks.Runtime() as runtime:
            machine.append((await call_latency(SpawnedMachine(runtime), sizes.calls))[0])
        gc.collect()
        async with tasks.Runtime() as runtime:
            server.append((await call_latency(Spawned(runtime), sizes.calls))[0])
    Reporter(backend, "GenServer").cost("statem_call_latency_median", machine, server, "us")

    progress(f"{backend}: fan-in")
    got, bare = await both(lambda s: fan_in(s, sizes.clients, sizes.calls_per_client))
    out.rate("fan_in", got, bare, "calls/s", clients=sizes.clients)

    progress(f"{backend}: start+call+stop")
    got, bare = await both(lambda s: start_call_stop(s, sizes.lifecycles))
    out.cost("start_call_stop", got, bare, "us")

    baseline: dict[str, float] = {}
    for k in sizes.live_tasks:
        progress(f"{backend}: {k} live servers")
        [live_got], [live_bare] = await both_once(
            backend, partial(live, k=k, calls=sizes.live_calls, casts=sizes.casts // 10)
        )
        baseline = baseline or live_got
        out.live(k, sizes.live_tasks[0], live_got, live_bare, baseline)
        if k >= 1000:
            [memory], [bare_memory] = await both_once(backend, partial(idle_memory, k=k))
            out.cost("idle_memory", [memory], [bare_memory], "bytes", live=k)


async def both_once(backend: str, measure: Callable[[Subject], Awaitable[T]]) -> tuple[list[T], list[T]]:
    """``measure(subject)`` once for spawned and once for the floor (the heavy live figures)."""
    gc.collect()
    async with spawned_subject() as subject:
        got = await measure(subject)
    gc.collect()
    async with floor_subject(backend) as subject:
        bare = await measure(subject)
    return [got], [bare]


def main(backend: str, sizes: Sizes) -> None:
    anyio.run(run_all, backend, sizes, backend=backend)
