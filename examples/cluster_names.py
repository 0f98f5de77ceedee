"""The name server of name_server.py on one node, its client on another: two OS processes.

Run: python examples/cluster_names.py [--backend asyncio|trio|threads]

This process joins a cluster as node "client" with no server address, so it starts the
embedded NATS server. It then starts node "server" as a second OS process (this file, with
``--node server``), which starts a NameServer registered cluster-wide as "names". The client
finds it in the cluster registry and calls it exactly as it would a local server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager

import anyio
from name_server import Add, Find, NameServer

from spawned import Via, tasks, threads
from spawned.cluster import Cluster, ClusterRegistry, EmbeddedServer

BACKENDS = ("asyncio", "trio", "threads")


# --8<-- [start:server]
def server_config() -> Cluster:
    """Node "server" joins the cluster the client's embedded server runs (from the environment)."""
    return Cluster(
        node="server",
        url=os.environ["NAMES_URL"],
        user=os.environ["NAMES_USER"],
        password=os.environ["NAMES_PASSWORD"],
        system_user=os.environ["NAMES_SYSTEM_USER"],
        system_password=os.environ["NAMES_SYSTEM_PASSWORD"],
    )


async def server_node_tasks() -> None:
    async with tasks.Runtime(cluster=server_config()) as rt:
        names = ClusterRegistry(rt.node)
        await names.ready()
        await rt.start(NameServer(), name=Via(names, "names"))
        await rt.serve(anyio.sleep_forever)  # until the client stops this node (SIGTERM)


def server_node_threads() -> None:
    with threads.Runtime(cluster=server_config()) as rt:
        names = ClusterRegistry(rt.node)
        names.ready()
        rt.start(NameServer(), name=Via(names, "names"))
        rt.serve(threading.Event().wait)  # until the client stops this node (SIGTERM)


# --8<-- [end:server]


@contextmanager
def server_node(server: EmbeddedServer | None, backend: str) -> Generator[None]:
    """Run node "server" as another OS process while the block runs; stop it (SIGTERM) after."""
    if server is None:
        raise RuntimeError("the client node runs no embedded server")
    environment = {
        **os.environ,
        "NAMES_URL": server.url,
        "NAMES_USER": server.user,
        "NAMES_PASSWORD": server.password,
        "NAMES_SYSTEM_USER": server.system_user,
        "NAMES_SYSTEM_PASSWORD": server.system_password,
    }
    command = [sys.executable, __file__, "--backend", backend, "--node", "server"]
    process = subprocess.Popen(command, env=environment)  # noqa: S603 - this very file
    try:
        yield
    finally:
        process.terminate()
        process.wait()


# --8<-- [start:client]
async def client_tasks(backend: str) -> None:
    async with tasks.Runtime(cluster=Cluster(node="client")) as rt:  # no url: embedded server
        with server_node(rt.node.server, backend):
            names = ClusterRegistry(rt.node)
            server = await names.wait_for("names", timeout=30)
            print("add Joe ->", await server.call(Add("Joe", "At Home")))
            print("find Joe ->", await server.call(Find("Joe")))
            print("find Bob ->", await server.call(Find("Bob")) or "not found")
            await names.close()


def client_threads() -> None:
    with threads.Runtime(cluster=Cluster(node="client")) as rt:  # no url: embedded server
        node = rt.node
        with server_node(node.server, "threads"):
            names = ClusterRegistry(node)
            server = names.wait_for("names", timeout=30)
            print("add Joe ->", server.call(Add("Joe", "At Home")))
            print("find Joe ->", server.call(Find("Joe")))
            print("find Bob ->", server.call(Find("Bob")) or "not found")
            names.close()


# --8<-- [end:client]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, default="asyncio")
    parser.add_argument("--node", choices=("client", "server"), default="client")
    options = parser.parse_args(argv)
    if options.node == "server":
        if options.backend == "threads":
            server_node_threads()
        else:
            anyio.run(server_node_tasks, backend=options.backend)
    elif options.backend == "threads":
        client_threads()
    else:
        anyio.run(client_tasks, options.backend, backend=options.backend)


# --8<-- [start:expected]
EXPECTED = """\
add Joe -> ok
find Joe -> At Home
find Bob -> not found
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
