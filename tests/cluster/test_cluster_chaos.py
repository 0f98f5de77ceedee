"""Chaos over three node processes: calls and casts flow while nodes are killed (SIGKILL) and
restarted. Every call ends in a reply or a spawned error; once this node knows a node is
gone, no name resolves to a process of it; a name freed by a dead node is taken again on its
next run; nothing is left running (the fixture checks).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import anyio
import pytest

from spawned import InitFailed, SpawnedError
from spawned.cluster import ClusterRegistry
from spawned.testing import TestCluster, TestHandle, TestRuntime, wait_until
from tests.servers import Get, Ping

ROUNDS = 3
CALLS = 40
"""Calls (and as many casts) per name per round, while one node is killed."""


async def io(rt: TestRuntime, fn: Any, *args: Any) -> Any:
    if rt.backend == "threads":
        return await anyio.to_thread.run_sync(fn, *args)
    return await fn(*args)


async def start_named(cluster: TestCluster, node: str, key: str) -> TestHandle[Any, Any, Any] | None:
    """Start the service ``key`` on ``node``; ``None`` while a dead run still holds the name."""
    try:
        return await cluster.start(node, "tests.cluster.apps:Named", args=(key,))
    except InitFailed:
        return None


@pytest.mark.spawned_cluster(nodes=3)
async def test_calls_casts_and_names_through_nodes_killed_and_restarted(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    rt = cluster.rt
    names = ClusterRegistry.of(cluster.node)
    await io(rt, names.ready)
    key_of = {node: f"svc-{node}" for node in cluster.names}
    services = {
        node: await cluster.start(node, "tests.cluster.apps:Named", args=(key,))
        for node, key in key_of.items()
    }
    for key in key_of.values():
        await io(rt, names.wait_for, key)
    outcomes: Counter[str] = Counter()
    strays: list[BaseException] = []

    async def traffic(key: str, flowing: anyio.Event) -> None:
        for _ in range(CALLS):
            raw = names.whereis(key)
            if raw is None:
                outcomes["unregistered"] += 1
                await anyio.lowlevel.checkpoint()
                continue
            handle = rt.wrap(raw)
            handle.cast(("chaos", key))
            try:
                assert await handle.call(Ping(), timeout=2) == "pong"
                outcomes["reply"] += 1
            except SpawnedError as error:
                outcomes[type(error).__name__] += 1
            except BaseException as error:
                strays.append(error)
                raise
            flowing.set()

    for round_number in range(ROUNDS):
        victim = cluster.names[round_number % len(cluster.names)]
        flowing = anyio.Event()
        async with anyio.create_task_group() as group:
            for key in key_of.values():
                group.start_soon(traffic, key, flowing)
            await flowing.wait()
            await cluster.kill(victim)
        dead = services[victim]
        with anyio.fail_after(10):
            assert await dead.join() == "noconnection"
        assert names.whereis(key_of[victim]) != dead.handle  # known dead here: never resolved
        await cluster.restart(victim)
        again = await wait_until(functools.partial(start_named, cluster, victim, key_of[victim]), timeout=10)
        assert again is not None
        services[victim] = again
        assert await io(rt, names.wait_for, key_of[victim]) == again.handle

    assert strays == []
    assert outcomes["reply"] > 0
    for node, service in services.items():
        assert await service.call(Ping()) == "pong"
        assert all(event == ("cast", ("chaos", key_of[node])) for event in await service.call(Get()))
