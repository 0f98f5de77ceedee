"""The bank of bank.py across two OS processes: the server on one node, the client on another.

This script starts a local NATS server (spawned.cluster.EmbeddedServer), then itself twice:
as node "server", which runs the Bank under the name "bank", and as node "client", which
looks the bank up on node "server" and runs bank.py's steps against that remote handle. The
Bank class and the client API are bank.py's, unchanged: a remote handle is called exactly
as a local one, and the transcript is bank.py's.

Run: python examples/cluster_bank.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

import anyio
import anyio.to_thread
from bank import (
    EXPECTED,
    Bank,
    BankError,
    Shutdown,
    deposit,
    deposit_blocking,
    new_account,
    new_account_blocking,
    show,
    withdraw,
    withdraw_blocking,
)

from spawned import tasks, threads
from spawned.cluster import Cluster, EmbeddedServer

ENV = "CLUSTER_BANK"
"""Where the parent passes the server's address and credentials to its two nodes."""


# --8<-- [start:server]
async def server_tasks(cluster: Cluster) -> None:
    """Node "server": run the bank until the parent closes our stdin."""
    async with tasks.Runtime(cluster=cluster) as runtime:
        await runtime.start(Bank(), name="bank")
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.read)


def server_threads(cluster: Cluster) -> None:
    with threads.Runtime(cluster=cluster) as runtime:
        runtime.start(Bank(), name="bank")
        print("ready", flush=True)
        sys.stdin.read()


# --8<-- [end:server]


# --8<-- [start:client]
async def client_tasks(cluster: Cluster) -> None:
    """Node "client": bank.py's steps, on the bank of node "server"."""
    async with tasks.Runtime(cluster=cluster) as runtime:
        bank = await runtime.node.whereis("bank", node="server")  # a handle to a process there
        steps = [
            ("withdraw main 15", lambda: withdraw(bank, "main", 15)),
            ("deposit Joe 10", lambda: deposit(bank, "Joe", 10)),
            ("new account Joe", lambda: new_account(bank, "Joe")),
            ("deposit Joe 10", lambda: deposit(bank, "Joe", 10)),
            ("deposit Joe 30", lambda: deposit(bank, "Joe", 30)),
            ("withdraw Joe 15", lambda: withdraw(bank, "Joe", 15)),
            ("withdraw Joe 45", lambda: withdraw(bank, "Joe", 45)),
            ("withdraw Joe 25", lambda: withdraw(bank, "Joe", 25)),
        ]
        for label, step in steps:
            try:
                show(label, await step())
            except BankError as error:
                print(f"{label} -> error: {error}")
        print("stop ->", await bank.call(Shutdown()))


def client_threads(cluster: Cluster) -> None:
    with threads.Runtime(cluster=cluster) as runtime:
        bank = runtime.node.whereis("bank", node="server")  # blocking on threads
        steps = [
            ("withdraw main 15", lambda: withdraw_blocking(bank, "main", 15)),
            ("deposit Joe 10", lambda: deposit_blocking(bank, "Joe", 10)),
            ("new account Joe", lambda: new_account_blocking(bank, "Joe")),
            ("deposit Joe 10", lambda: deposit_blocking(bank, "Joe", 10)),
            ("deposit Joe 30", lambda: deposit_blocking(bank, "Joe", 30)),
            ("withdraw Joe 15", lambda: withdraw_blocking(bank, "Joe", 15)),
            ("withdraw Joe 45", lambda: withdraw_blocking(bank, "Joe", 45)),
            ("withdraw Joe 25", lambda: withdraw_blocking(bank, "Joe", 25)),
        ]
        for label, step in steps:
            try:
                show(label, step())
            except BankError as error:
                print(f"{label} -> error: {error}")
        print("stop ->", bank.call(Shutdown()))


# --8<-- [end:client]


# --8<-- [start:parent]
def parent(backend: str) -> None:
    """Start the NATS server, node "server", then node "client"; relay the client's output."""
    with EmbeddedServer(jetstream=False) as server:
        options: dict[str, Any] = {
            "url": server.url,
            "user": server.user,
            "password": server.password,
            "system_user": server.system_user,
            "system_password": server.system_password,
        }
        env = {**os.environ, ENV: json.dumps(options)}
        me = [sys.executable, __file__, "--backend", backend, "--role"]
        with subprocess.Popen(  # noqa: S603 - this script
            [*me, "server"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        ) as bank_node:
            if (
                bank_node.stdout is None
                or bank_node.stdin is None
                or bank_node.stdout.readline() != "ready\n"
            ):
                sys.exit("the server node did not start")
            client = subprocess.run(  # noqa: S603 - this script
                [*me, "client"], env=env, capture_output=True, text=True, check=False
            )
            sys.stdout.write(client.stdout)
            sys.stderr.write(client.stderr)
            bank_node.stdin.close()
        if client.returncode or bank_node.returncode:
            sys.exit(f"node exit statuses: client {client.returncode}, server {bank_node.returncode}")


# --8<-- [end:parent]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("asyncio", "trio", "threads"), default="asyncio")
    parser.add_argument("--role", choices=("parent", "server", "client"), default="parent")
    args = parser.parse_args(argv)
    if args.role == "parent":
        parent(args.backend)
        return
    cluster = Cluster(node=args.role, **json.loads(os.environ[ENV]))
    server_role = args.role == "server"
    if args.backend == "threads":
        (server_threads if server_role else client_threads)(cluster)
    else:
        anyio.run(server_tasks if server_role else client_tasks, cluster, backend=args.backend)


__all__ = ["EXPECTED"]

if __name__ == "__main__":
    main()
