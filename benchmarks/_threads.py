"""Figures for ``spawned.threads``, each beside a bare ``queue.SimpleQueue`` floor, same run."""

from __future__ import annotations

import gc
import statistics
import threading
import tracemalloc
from collections.abc import Callable, Generator
from contextlib import contextmanager
from functools import partial
from time import perf_counter, perf_counter_ns
from typing import Protocol, TypeVar

from spawned import threads

from ._report import HANDLER_FLOOR, Reporter, Sizes, expect, handler_attached, percentile, progress
from ._servers import Counter, CounterMachine, ThreadBare

FLOOR = "SimpleQueue"

T = TypeVar("T")


class Server(Protocol):
    def cast(self, msg: object) -> None: ...
    def call(self, msg: object) -> int: ...
    def stop(self) -> None: ...


class Subject(Protocol):
    def start(self) -> Server: ...


class Spawned:
    def __init__(self, runtime: threads.Runtime) -> None:
        self.runtime = runtime

    def start(self) -> Server:
        return self.runtime.start(Counter())


class SpawnedMachine(Spawned):
    def start(self) -> Server:
        return self.runtime.start(CounterMachine())


class Bare:
    def start(self) -> Server:
        return ThreadBare()


@contextmanager
def spawned_subject() -> Generator[Subject]:
    with threads.Runtime() as runtime:
        yield Spawned(runtime)


@contextmanager
def floor_subject() -> Generator[Subject]:
    yield Bare()


def cast_throughput(subject: Subject, n: int) -> float:
    server = subject.start()
    cast = server.cast
    started = perf_counter()
    for i in range(n):
        cast(i)
    handled = server.call(None)
    elapsed = perf_counter() - started
    expect(handled, n)
    server.stop()
    return n / elapsed


def call_samples(server: Server, n: int) -> list[float]:
    call = server.call
    for _ in range(n // 10):
        call(None)
    samples: list[int] = []
    clock = perf_counter_ns
    for _ in range(n):
        before = clock()
        call(None)
        samples.append(clock() - before)
    return [s / 1000 for s in samples]


def call_latency(subject: Subject, n: int) -> tuple[float, float]:
    server = subject.start()
    samples = call_samples(server, n)
    server.stop()
    return statistics.median(samples), percentile(samples, 0.99)


def fan_in(subject: Subject, clients: int, calls: int) -> float:
    server = subject.start()
    go = threading.Event()

    def client() -> None:
        go.wait()
        for _ in range(calls):
            server.call(None)

    workers = [threading.Thread(target=client) for _ in range(clients)]
    for worker in workers:
        worker.start()
    started = perf_counter()
    go.set()
    for worker in workers:
        worker.join()
    elapsed = perf_counter() - started
    server.stop()
    return clients * calls / elapsed


def start_call_stop(subject: Subject, n: int) -> float:
    started = perf_counter()
    for _ in range(n):
        server = subject.start()
        server.call(None)
        server.stop()
    return (perf_counter() - started) / n * 1e6


def live(subject: Subject, k: int, calls: int, casts: int) -> dict[str, float]:
    """Start ``k`` servers, measure one of them while the rest idle, stop them all."""
    started = perf_counter()
    servers = [subject.start() for _ in range(k)]
    start_us = (perf_counter() - started) / k * 1e6
    middle = servers[k // 2]
    call_us = statistics.median(call_samples(middle, calls))
    cast = middle.cast
    before = middle.call(None)
    started = perf_counter()
    for i in range(casts):
        cast(i)
    expect(middle.call(None), before + casts)
    cast_rate = casts / (perf_counter() - started)
    started = perf_counter()
    for server in servers:
        server.stop()
    stop_us = (perf_counter() - started) / k * 1e6
    return {"start": start_us, "stop": stop_us, "call": call_us, "cast": cast_rate}


def idle_memory(subject: Subject, k: int) -> float:
    """Bytes traced per idle server (Python objects only: thread stacks are not traced)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        servers = [subject.start() for _ in range(k)]
        gc.collect()
        per_server = (tracemalloc.get_traced_memory()[0] - before) / k
    finally:
        tracemalloc.stop()
    for server in servers:
        server.stop()
    return per_server


def telemetry_figures(backend: str, sizes: Sizes) -> None:
    """Cast throughput and call latency with a do-nothing telemetry handler attached, beside none."""
    progress(f"{backend}: a telemetry handler attached")

    def handled(measure: Callable[[Subject], T]) -> tuple[list[T], list[T]]:
        """``measure`` with a do-nothing telemetry handler attached, and with none, interleaved."""
        attached: list[T] = []
        plain: list[T] = []
        for _ in range(sizes.rounds):
            gc.collect()
            with handler_attached(), spawned_subject() as subject:
                attached.append(measure(subject))
            gc.collect()
            with spawned_subject() as subject:
                plain.append(measure(subject))
        return attached, plain

    telemetry_out = Reporter(backend, HANDLER_FLOOR)
    got, bare = handled(lambda s: cast_throughput(s, sizes.casts))
    telemetry_out.rate("telemetry_cast_throughput", got, bare, "msgs/s", n=sizes.casts)
    latencies, bare_latencies = handled(lambda s: call_latency(s, sizes.calls))
    telemetry_out.cost(
        "telemetry_call_latency_median", [m for m, _ in latencies], [m for m, _ in bare_latencies], "us"
    )


def run_all(sizes: Sizes) -> None:
    backend = "threads"
    out = Reporter(backend, FLOOR)

    def both(measure: Callable[[Subject], T], rounds: int = sizes.rounds) -> tuple[list[T], list[T]]:
        """``measure(subject)`` for spawned and for the floor, once per round, interleaved."""
        spawned_values: list[T] = []
        floor_values: list[T] = []
        for _ in range(rounds):
            gc.collect()
            with spawned_subject() as subject:
                spawned_values.append(measure(subject))
            gc.collect()
            with floor_subject() as subject:
                floor_values.append(measure(subject))
        return spawned_values, floor_values

    progress(f"{backend}: cast throughput")
    got, bare = both(lambda s: cast_throughput(s, sizes.casts))
    out.rate("cast_throughput", got, bare, "msgs/s", n=sizes.casts)

    progress(f"{backend}: call latency")
    latencies, bare_latencies = both(lambda s: call_latency(s, sizes.calls))
    out.cost("call_latency_median", [m for m, _ in latencies], [m for m, _ in bare_latencies], "us")
    out.cost("call_latency_p99", [p for _, p in latencies], [p for _, p in bare_latencies], "us")

    telemetry_figures(backend, sizes)

    progress(f"{backend}: GenStateMachine call latency")
    machine: list[float] = []
    server: list[float] = []
    for _ in range(sizes.rounds):
        gc.collect()
        with threads.Runtime() as runtime:
            machine.append(call_latency(SpawnedMachine(runtime), sizes.calls)[0])
        gc.collect()
        with threads.Runtime() as runtime:
            server.append(call_latency(Spawned(runtime), sizes.calls)[0])
    Reporter(backend, "GenServer").cost("statem_call_latency_median", machine, server, "us")

    progress(f"{backend}: fan-in")
    got, bare = both(lambda s: fan_in(s, sizes.clients, sizes.calls_per_client))
    out.rate("fan_in", got, bare, "calls/s", clients=sizes.clients)

    progress(f"{backend}: start+call+stop")
    got, bare = both(lambda s: start_call_stop(s, sizes.lifecycles // 5))
    out.cost("start_call_stop", got, bare, "us")

    baseline: dict[str, float] = {}
    for k in sizes.live_threads:
        progress(f"{backend}: {k} live servers")
        [live_got], [live_bare] = both(
            partial(live, k=k, calls=sizes.live_calls, casts=sizes.casts // 10), rounds=1
        )
        baseline = baseline or live_got
        out.live(k, sizes.live_threads[0], live_got, live_bare, baseline)
        if k >= 100:
            [memory], [bare_memory] = both(partial(idle_memory, k=k), rounds=1)
            out.cost("idle_memory", [memory], [bare_memory], "bytes", live=k)


def main(sizes: Sizes) -> None:
    run_all(sizes)
