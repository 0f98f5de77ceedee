"""A CPU-bound service on every core: one node process per core, started by the launcher.

Run: python examples/cluster_cpu.py [--backend asyncio|trio|threads]

which runs, from this directory, what you would type yourself:

    python -m spawned.cluster run --nodes 2 --backend asyncio cluster_cpu:node_main

Each node process starts a ``Primes`` worker and registers it cluster-wide; node1 then splits
a prime count over every worker (each in its own OS process, so each has a core and a GIL
of its own), adds up their answers and returns, which stops its node; every other node
ends when node1's worker is gone.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from attrs import frozen

from spawned import Caller, GenServer, Reply, Via, tasks, threads
from spawned.cluster import ClusterRegistry, Node

BACKENDS = ("asyncio", "trio", "threads")
LIMIT = 200_000
NODES = 2


# --8<-- [start:worker]
@frozen
class CountPrimes:
    """Count the primes ``n`` with ``start <= n < stop``."""

    start: int
    stop: int


class Primes(GenServer[CountPrimes, None, int]):
    """Pure-Python, CPU-bound work: one node process per core runs one of these."""

    def handle_call(self, msg: CountPrimes, caller: Caller[int]) -> Reply[int]:
        return Reply(sum(1 for n in range(msg.start, msg.stop) if is_prime(n)))


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))


def shares(limit: int, parts: int) -> list[CountPrimes]:
    step = -(-limit // parts)
    return [CountPrimes(i * step, min((i + 1) * step, limit)) for i in range(parts)]


# --8<-- [end:worker]


# --8<-- [start:tasks]
async def node_main_tasks(node: Node) -> None:
    names = ClusterRegistry(node)
    if node.name != "node1":  # a worker node: serve until node1's worker is gone
        coordinator = await names.wait_for("primes@node1", timeout=60)
        await tasks.start(Primes(), name=Via(names, f"primes@{node.name}"), on_thread=True)
        await coordinator.join()
        return
    await tasks.start(Primes(), name=Via(names, "primes@node1"), on_thread=True)
    nodes = int(os.environ["SPAWNED_CLUSTER_NODES"])
    workers = [await names.wait_for(f"primes@node{i}", timeout=60) for i in range(1, nodes + 1)]
    counts: list[int] = []

    async def count(worker: Any, share: CountPrimes) -> None:
        counts.append(await worker.call(share, timeout=60))

    async with anyio.create_task_group() as group:
        for each, share in zip(workers, shares(LIMIT, nodes), strict=True):
            group.start_soon(count, each, share)
    print(f"primes below {LIMIT}: {sum(counts)} (counted on {nodes} nodes)")


# --8<-- [end:tasks]


# --8<-- [start:threads]
def node_main_threads(node: Node) -> None:
    names = ClusterRegistry(node)
    if node.name != "node1":
        coordinator = names.wait_for("primes@node1", timeout=60)
        threads.start(Primes(), name=Via(names, f"primes@{node.name}"))
        coordinator.join()
        return
    threads.start(Primes(), name=Via(names, "primes@node1"))
    nodes = int(os.environ["SPAWNED_CLUSTER_NODES"])
    workers = [names.wait_for(f"primes@node{i}", timeout=60) for i in range(1, nodes + 1)]

    def count(worker: Any, share: CountPrimes) -> int:
        return worker.call(share, timeout=60)

    with ThreadPoolExecutor(nodes) as pool:
        counts = list(pool.map(count, workers, shares(LIMIT, nodes)))
    print(f"primes below {LIMIT}: {sum(counts)} (counted on {nodes} nodes)")


# --8<-- [end:threads]


def node_main(node: Node) -> Any:
    """What the launcher runs on each node: ``cluster_cpu:node_main``."""
    if isinstance(node.runtime, threads.Runtime):
        return node_main_threads(node)
    return node_main_tasks(node)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, default="asyncio")
    backend = parser.parse_args(argv).backend
    here = str(Path(__file__).parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    command = ["run", "--nodes", str(NODES), "--backend", backend, "cluster_cpu:node_main"]
    from spawned.cluster._launcher import main as launcher  # noqa: PLC0415

    sys.stdout.flush()
    status = launcher(command)
    if status:
        raise SystemExit(status)


EXPECTED = f"primes below {LIMIT}: 17984 (counted on {NODES} nodes)\n"

if __name__ == "__main__":
    main()
