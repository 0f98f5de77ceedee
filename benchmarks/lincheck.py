"""``python -m benchmarks.lincheck [--quick]``: linearizability checker figures as JSON lines.

- ``lincheck_kv``: seconds to check a linearizable key-value history of N operations by 5
  clients (``Get``/``Put``/``Append`` over 10 keys, checked key by key), for N = 1,000 and
  10,000; the issue's aim for 1,000 is under a second. ``keys=1`` is the same history shape
  on a single key (nothing to split: the search's worst case for this workload).
- ``lincheck_kv_illegal``: the same with one read's result changed, so the check must find it.

Histories come from a real atomic map driven by a seeded random interleaving: each operation
takes effect at one moment between its invocation and its return, so the history is
linearizable by construction. The figure is the median over the rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Hashable
from typing import Any

from spawned.sim.lincheck import Append, Get, History, KeyValue, Put, check

CLIENTS = 5


def kv_history(operations: int, keys: int, seed: int, *, corrupt: bool = False) -> History:
    """A linearizable history of ``operations`` operations (see the module docstring);
    ``corrupt`` changes the result of the last read of a written key, making it illegal.
    """
    rng = random.Random(seed)
    store: dict[Hashable, str] = {}
    history = History()
    running: dict[int, list[Any]] = {}  # client -> [token, op, applied, result]
    invoked = completed = 0
    last_read: tuple[int, str] | None = None
    while completed < operations:
        client = rng.randrange(CLIENTS)
        if client not in running:
            if invoked == operations:
                continue
            key = f"k{rng.randrange(keys)}"
            roll = rng.random()
            value = str(rng.randrange(100))
            op = Get(key) if roll < 0.5 else Put(key, value) if roll < 0.8 else Append(key, value)
            running[client] = [history.invoke(f"c{client}", op), op, False, None]
            invoked += 1
        elif not running[client][2]:
            running[client][2:] = [True, _apply(store, running[client][1])]
        else:
            token, op, _, result = running.pop(client)
            if corrupt and isinstance(op, Get) and result is not None:
                last_read = (token, result)
            history.ok(token, result)
            completed += 1
    if corrupt:
        if last_read is None:
            raise RuntimeError("no read of a written key to corrupt")
        return _with_result(history, last_read[0], last_read[1] + "!")
    return history


def _apply(store: dict[Hashable, str], op: Any) -> Any:
    """Apply ``op`` to the map at once; returns its result."""
    match op:
        case Get(key):
            return store.get(key)
        case Put(key, value):
            store[key] = value
        case Append(key, value):
            store[key] = store.get(key, "") + value
        case _:
            raise AssertionError(op)
    return None


def _with_result(history: History, token: int, result: Any) -> History:
    """``history`` with operation ``token`` returning ``result`` instead."""
    copy = History()
    events = sorted(
        [(op.invoke_at, "invoke", op) for op in history.operations]
        + [(op.complete_at, "ok", op) for op in history.operations if op.complete_at is not None]
    )
    tokens: dict[int, int] = {}
    for _, kind, op in events:
        if kind == "invoke":
            tokens[op.id] = copy.invoke(op.client, op.op)
        else:
            copy.ok(tokens[op.id], result if op.id == token else op.result)
    return copy


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, **extra}), flush=True)


def measure(history: History, rounds: int, expected: str) -> tuple[float, int]:
    times: list[float] = []
    steps = 0
    for _ in range(rounds):
        start = time.perf_counter()
        result = check(history, KeyValue())
        times.append(time.perf_counter() - start)
        if result.verdict != expected:
            raise RuntimeError(f"expected {expected}, got {result.report()}")
        steps = result.steps
    return statistics.median(times), steps


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lincheck", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round each; proves the script runs")
    args = parser.parse_args()
    rounds = 1 if args.quick else 5
    for operations in (1_000, 10_000):
        for keys in (10, 1):
            seconds, steps = measure(kv_history(operations, keys, seed=operations + keys), rounds, "ok")
            emit(
                "lincheck_kv",
                seconds,
                "s",
                operations=operations,
                clients=CLIENTS,
                keys=keys,
                steps=steps,
                **({"target": 1.0, "met": seconds < 1.0} if operations == 1_000 and keys == 10 else {}),
            )
        history = kv_history(operations, 10, seed=operations, corrupt=True)
        seconds, steps = measure(history, rounds, "illegal")
        emit(
            "lincheck_kv_illegal", seconds, "s", operations=operations, clients=CLIENTS, keys=10, steps=steps
        )


if __name__ == "__main__":
    main()
