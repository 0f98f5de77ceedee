"""``python -m benchmarks.ray_actors [--quick]``: Ray actors' figures, to set beside the cluster's.

Ray is not a dependency of spawned: run this with a Python where ``pip install ray`` worked
(a throwaway virtualenv). Without Ray it says so and exits 0. Prints, as JSON lines: the
median latency of a call to an actor's method (``ray.get(actor.echo.remote(1))``) and the cost
of spawning an actor (create it and get its first answer), on a local Ray started here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from typing import Any


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    print(
        json.dumps({"name": name, "backend": "ray", "value": round(value, 1), "unit": unit, **extra}),
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ray_actors", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("ray") is None:
        print("skipped: Ray is not installed here (pip install ray, in a throwaway virtualenv)")
        return 0
    ray: Any = importlib.import_module("ray")  # not a dependency: untyped here

    calls, spawns = (200, 5) if args.quick else (3_000, 30)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:

        class Echo:
            def echo(self, value: object) -> object:
                return value

        actor_class: Any = ray.remote(Echo)
        actor = actor_class.remote()
        ray.get(actor.echo.remote(0))
        samples: list[float] = []
        for _ in range(calls):
            start = time.perf_counter()
            ray.get(actor.echo.remote(1))
            samples.append(time.perf_counter() - start)
        emit("ray_actor_call_latency_median", statistics.median(samples) * 1e6, "us", calls=calls)
        costs: list[float] = []
        for _ in range(spawns):
            start = time.perf_counter()
            fresh = actor_class.remote()
            ray.get(fresh.echo.remote(0))
            costs.append(time.perf_counter() - start)
            ray.kill(fresh)
        emit("ray_actor_spawn", statistics.median(costs) * 1e3, "ms", spawns=spawns)
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
