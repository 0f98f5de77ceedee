"""Chaos: nested supervisors serve many clients while random children crash or are killed.

Every call ends in a reply or a SpawnedError, the tree recovers, and closing the runtime
leaves no process, task or thread behind (the runtime fixture checks the last part).
"""

from __future__ import annotations

import random
from typing import Any

import anyio

from spawned import Caller, ChildSpec, DynamicSupervisor, GenServer, Reply, SpawnedError, Strategy, Supervisor
from spawned.testing import TestHandle, TestRuntime, wait_until

WORKERS = [f"w{i}" for i in range(9)]
CLIENTS = 8
CALLS = 25
CRASHES = 30


class Counter(GenServer):
    """Counts the calls it answered since it (re)started."""

    def init(self) -> None:
        self.n = 0

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.n += 1
        return Reply((msg, self.n))

    def handle_cast(self, msg: Any) -> None:
        raise ValueError(f"chaos crash {msg}")


def _group(names: list[str], strategy: Strategy) -> Supervisor:
    specs = [ChildSpec(n, Counter, name=n) for n in names]
    return Supervisor(specs, strategy=strategy, max_restarts=2, max_seconds=1.0)


def _tree() -> Supervisor:
    return Supervisor(
        [
            ChildSpec("g1", lambda: _group(WORKERS[0:3], Strategy.ONE_FOR_ALL)),
            ChildSpec("g2", lambda: _group(WORKERS[3:6], Strategy.REST_FOR_ONE)),
            ChildSpec("g3", lambda: _group(WORKERS[6:9], Strategy.ONE_FOR_ONE)),
            ChildSpec("pool", lambda: DynamicSupervisor(max_restarts=1000)),
        ],
        max_restarts=1000,
        max_seconds=1.0,
    )


async def test_the_tree_recovers_from_random_crashes(rt: TestRuntime) -> None:
    rng = random.Random(20240607)  # noqa: S311 - seeded test randomness
    top = await rt.start(_tree(), name="top")
    pool_handle = next(c.handle for c in await top.which_children() if c.id == "pool")
    assert pool_handle is not None
    pool = rt.wrap(pool_handle)
    for _ in range(3):
        await pool.start_child(ChildSpec("dyn", Counter))
    outcomes: dict[str, int] = {"reply": 0, "error": 0, "absent": 0}
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(CLIENTS):
                tg.start_soon(_client, rt, rng.randrange(1 << 30), outcomes)
            tg.start_soon(_chaos, rt, rng)
    assert sum(outcomes.values()) == CLIENTS * CALLS
    assert outcomes["reply"] > 0

    await _recovered(rt, top)
    for name in WORKERS:
        worker = rt.whereis(name)
        assert worker is not None
        assert (await worker.call("ping"))[0] == "ping"
    assert (await pool.count_children()).active == 3


async def _client(rt: TestRuntime, seed: int, outcomes: dict[str, int]) -> None:
    """Call random workers by name; every call ends in a reply or a SpawnedError."""
    rng = random.Random(seed)  # noqa: S311 - seeded test randomness
    for i in range(CALLS):
        handle = rt.whereis(rng.choice(WORKERS))
        if handle is None:
            outcomes["absent"] += 1
            await anyio.lowlevel.checkpoint()
            continue
        try:
            msg, _count = await handle.call(i, timeout=2.0)
        except SpawnedError:
            outcomes["error"] += 1
        else:
            assert msg == i
            outcomes["reply"] += 1


async def _chaos(rt: TestRuntime, rng: random.Random) -> None:
    """Kill or crash random workers, a little apart."""
    for i in range(CRASHES):
        target = rt.whereis(rng.choice(WORKERS))
        if target is not None:
            if rng.random() < 0.5:
                target.kill()
            else:
                target.cast(i)
        await anyio.sleep(0.002)


async def _recovered(rt: TestRuntime, top: TestHandle[Any, Any, Any]) -> None:
    """Wait until every worker name is held by a live process (restarts cascade upwards)."""
    await wait_until(lambda: all(rt.whereis(n) is not None and rt.whereis(n).is_alive for n in WORKERS))
    assert top.is_alive
