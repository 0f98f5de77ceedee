"""How a figure is summarised, compared with its floor, and printed (one JSON object a line)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from attrs import frozen

from spawned import telemetry


@frozen
class Sizes:
    """How much work each figure does; ``quick`` keeps the whole suite to a few seconds."""

    rounds: int
    casts: int
    calls: int
    clients: int
    calls_per_client: int
    lifecycles: int
    live_tasks: tuple[int, ...]
    live_threads: tuple[int, ...]
    live_calls: int


FULL = Sizes(
    rounds=3,
    casts=1_000_000,
    calls=20_000,
    clients=100,
    calls_per_client=200,
    lifecycles=5_000,
    live_tasks=(10, 1_000, 10_000, 100_000),
    live_threads=(10, 2_000),
    live_calls=5_000,
)
QUICK = Sizes(
    rounds=1,
    casts=20_000,
    calls=1_000,
    clients=100,
    calls_per_client=10,
    lifecycles=300,
    live_tasks=(10, 1_000),
    live_threads=(10, 200),
    live_calls=500,
)

# What the issue asks for: (name, backend) -> (field, comparison, bound).
TARGETS: dict[tuple[str, str], tuple[str, str, float]] = {
    ("cast_throughput", "asyncio"): ("value", ">=", 2_000_000),
    ("cast_throughput", "trio"): ("value", ">=", 1_000_000),
    ("cast_throughput", "threads"): ("value", ">=", 1_000_000),
    ("call_latency_median", "asyncio"): ("ratio", "<=", 2.0),
    ("call_latency_median", "trio"): ("ratio", "<=", 2.0),
    ("call_latency_median", "threads"): ("ratio", "<=", 1.3),
    ("start_call_stop", "asyncio"): ("value", "<=", 30.0),
    ("idle_memory", "asyncio"): ("value", "<=", 3072),
    ("live_call_latency", "asyncio"): ("ratio", "<=", 1.5),
    ("live_call_latency", "trio"): ("ratio", "<=", 1.5),
    ("statem_call_latency_median", "asyncio"): ("ratio", "<=", 1.3),
    ("statem_call_latency_median", "trio"): ("ratio", "<=", 1.3),
    ("statem_call_latency_median", "threads"): ("ratio", "<=", 1.3),
    ("cluster_call_latency_median", "asyncio"): ("ratio", "<=", 1.3),
    ("cluster_cast_throughput", "asyncio"): ("ratio", "<=", 2.0),
    ("cluster_node_down", "asyncio"): ("value", "<=", 50),
    ("cluster_cpu_scaling", "asyncio"): ("speedup", ">=", 1.6),
}


def percentile(samples: list[float], fraction: float) -> float:
    """The sample below which ``fraction`` of ``samples`` lie (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Reporter:
    """Prints one backend's figures, each the median of its rounds, beside its floor."""

    def __init__(self, backend: str, floor_name: str) -> None:
        self.backend = backend
        self.floor_name = floor_name

    def cost(self, name: str, got: list[float], bare: list[float], unit: str, **extra: Any) -> None:
        """A figure where less is better (time, bytes)."""
        self._figure(name, got, bare, unit, higher_is_better=False, **extra)

    def rate(self, name: str, got: list[float], bare: list[float], unit: str, **extra: Any) -> None:
        """A figure where more is better (messages or calls per second)."""
        self._figure(name, got, bare, unit, higher_is_better=True, **extra)

    def _figure(
        self,
        name: str,
        got: list[float],
        bare: list[float],
        unit: str,
        *,
        higher_is_better: bool,
        **extra: Any,
    ) -> None:
        emit(
            name,
            self.backend,
            statistics.median(got),
            unit,
            floor=statistics.median(bare),
            floor_name=self.floor_name,
            higher_is_better=higher_is_better,
            rounds=len(got),
            **extra,
        )

    def live(
        self, k: int, first: int, got: dict[str, float], bare: dict[str, float], baseline: dict[str, float]
    ) -> None:
        """The figures at ``k`` live servers: start and stop beside the floor, and the
        per-message cost beside spawned's own at ``first`` live servers.
        """
        self.cost("live_start", [got["start"]], [bare["start"]], "us", live=k)
        self.cost("live_stop", [got["stop"]], [bare["stop"]], "us", live=k)
        at = f"spawned at {first} live"
        emit(
            "live_call_latency",
            self.backend,
            got["call"],
            "us",
            floor=baseline["call"],
            floor_name=at,
            higher_is_better=False,
            live=k,
            floor_bare=_round(bare["call"]),
        )
        emit(
            "live_cast_throughput",
            self.backend,
            got["cast"],
            "msgs/s",
            floor=baseline["cast"],
            floor_name=at,
            higher_is_better=True,
            live=k,
            floor_bare=_round(bare["cast"]),
        )


HANDLER_FLOOR = "no handler"
"""What the figures with a telemetry handler attached are set beside: the same, with none."""


@contextmanager
def handler_attached() -> Generator[None]:
    """A telemetry handler that does nothing, attached to every event (what it costs to emit)."""

    def nothing(event: str, measurements: object, metadata: object) -> None:
        del event, measurements, metadata

    telemetry.attach("benchmarks", telemetry.EVENTS, nothing)
    try:
        yield
    finally:
        telemetry.detach("benchmarks")


def progress(text: str) -> None:
    """A line for the person watching, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def emit(
    name: str,
    backend: str,
    value: float,
    unit: str,
    *,
    floor: float,
    floor_name: str,
    higher_is_better: bool,
    **extra: Any,
) -> None:
    """Print one figure. ``ratio`` is spawned's cost over the floor's (1.0 = at the floor)."""
    ratio = floor / value if higher_is_better else value / floor
    record: dict[str, Any] = {
        "name": name,
        "backend": backend,
        "value": _round(value),
        "unit": unit,
        "floor": _round(floor),
        "floor_name": floor_name,
        "ratio": round(ratio, 2),
        **extra,
    }
    target = TARGETS.get((name, backend))
    if target is not None:
        field, comparison, bound = target
        actual = record[field]
        record["target"] = f"{field} {comparison} {bound:g}"
        record["met"] = actual >= bound if comparison == ">=" else actual <= bound
    print(json.dumps(record), flush=True)


def expect(got: object, wanted: object) -> None:
    """Fail the run if a server did not handle what it was sent."""
    if got != wanted:
        msg = f"expected {wanted!r}, got {got!r}"
        raise RuntimeError(msg)


def _round(value: float) -> float:
    return float(f"{value:.4g}") if value < 1000 else round(value)
