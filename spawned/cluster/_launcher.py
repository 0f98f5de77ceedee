"""``python -m spawned.cluster run --nodes N app:main``: one application on every core.

The launcher starts an [`EmbeddedServer`][spawned.cluster.EmbeddedServer], then ``N`` node
processes (``node1`` ... ``nodeN``; default: one per core). Each joins the cluster as its
node, lets the others start servers on it by reference, and runs ``app:main(node)``:
awaited on ``--backend asyncio`` or ``trio``, called on ``threads``. SIGTERM or Ctrl-C
(SIGINT) stops every node in order (each shuts its processes down, as ``run`` does on a
signal), then the server; a node still running ``STOP_TIMEOUT`` seconds later is killed.
The launcher exits when every node has, with status 0 if they all ended well (or were
stopped by the signal), else the first failing node's status. On Linux each node gets SIGTERM
when the launcher dies, even killed outright; the server is then left running.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

from ._embedded import EmbeddedServer
from ._remote_start import check_reference, resolve

__all__ = ["main", "run", "run_node"]

STOP_TIMEOUT = 10.0
"""Seconds the nodes get to shut down after the launcher's SIGTERM before they are killed."""
READY = "spawned-node-ready"
"""What a node writes to its ``--ready-fd`` once it has joined (then it closes that fd)."""
BACKENDS = ("asyncio", "trio", "threads")

_ENV = {
    "url": "SPAWNED_CLUSTER_URL",
    "user": "SPAWNED_CLUSTER_USER",
    "password": "SPAWNED_CLUSTER_PASSWORD",
    "system_user": "SPAWNED_CLUSTER_SYSTEM_USER",
    "system_password": "SPAWNED_CLUSTER_SYSTEM_PASSWORD",
}
"""Where a node process finds the server and its credentials (not on its command line)."""


NODES_VARIABLE = "SPAWNED_CLUSTER_NODES"
"""How many node processes the launcher started (``node1`` to ``nodeN``), for ``main`` to read."""


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def node_environment(server: EmbeddedServer) -> dict[str, str]:
    """The environment variables that tell a node process how to join ``server``."""
    return {
        _ENV["url"]: server.url,
        _ENV["user"]: server.user,
        _ENV["password"]: server.password,
        _ENV["system_user"]: server.system_user,
        _ENV["system_password"]: server.system_password,
    }


def node_command(
    name: str, reference: str, *, backend: str, cluster: str, ready_fd: int | None = None
) -> list[str]:
    """The command line of a node process (its server and credentials come from
    :func:`node_environment`); with ``ready_fd``, it writes :data:`READY` there once joined.
    """
    command = [sys.executable, "-m", "spawned.cluster", "node", "--name", name, "--backend", backend]
    command += ["--cluster", cluster]
    if ready_fd is not None:
        command += ["--ready-fd", str(ready_fd)]
    return [*command, reference]


def run(
    reference: str, *, nodes: int | None = None, backend: str = "asyncio", cluster: str = "spawned"
) -> int:
    """Run ``reference`` (``"app:main"``) on ``nodes`` node processes and an embedded server
    until they all end or SIGTERM/SIGINT stops them; the exit status (see the module doc).

    Raises:
        ValueError: a bad reference, node count or backend.
    """
    check_reference(reference)
    count = (os.cpu_count() or 1) if nodes is None else nodes
    if type(count) is not int or count < 1:
        msg = f"--nodes must be an int >= 1, got {nodes!r}"
        raise ValueError(msg)
    if backend not in BACKENDS:
        msg = f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
        raise ValueError(msg)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, _raise_stop)
    children: list[subprocess.Popen[bytes]] = []
    stopped = False
    try:
        with EmbeddedServer() as server:
            environment = {**os.environ, **node_environment(server), NODES_VARIABLE: str(count)}
            _say(f"{count} nodes of {reference} ({backend}) on {server.url}")
            try:
                for number in range(1, count + 1):
                    command = node_command(f"node{number}", reference, backend=backend, cluster=cluster)
                    children.append(
                        subprocess.Popen(command, env=environment, preexec_fn=_stop_with_parent)  # noqa: S603, PLW1509 - our own command; the launcher runs no thread
                    )
                for child in children:
                    child.wait()
            finally:
                stop_all(children)
    except _Stop as stop:
        stopped = True
        _say(f"received {signal.Signals(stop.signum).name}; stopped {len(children)} nodes")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    failed = [child.returncode for child in children if child.returncode not in (0, None)]
    if stopped:
        failed = [code for code in failed if code not in (-signal.SIGTERM, -signal.SIGINT, 130)]
    return failed[0] if failed else 0


def stop_all(children: Sequence[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every child still running, wait up to ``timeout`` seconds for them all, then
    SIGKILL the rest. Signals that arrive meanwhile are ignored (the stop is under way).
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            _say(f"node process {child.pid} did not stop within {timeout} s; killing it")
            child.kill()
            child.wait()


def run_node(name: str, reference: str, *, backend: str, cluster: str, ready_fd: int | None = None) -> Any:
    """A node process's body: join the cluster named by the environment as node ``name``,
    allow remote starts, and run ``reference(node)`` in the runtime, stopping in order on
    SIGTERM/SIGINT (``SignalShutdown``, exit status 0).
    """
    from ._config import Cluster  # noqa: PLC0415 - the launcher itself needs no node
    from ._remote_start import allow_remote_start  # noqa: PLC0415

    main = resolve(reference)
    config = Cluster(
        node=name,
        url=os.environ[_ENV["url"]],
        user=os.environ.get(_ENV["user"]),
        password=os.environ.get(_ENV["password"]),
        system_user=os.environ.get(_ENV["system_user"]),
        system_password=os.environ.get(_ENV["system_password"]),
        name=cluster,
    )
    if backend == "threads":
        from spawned import threads  # noqa: PLC0415 - one backend per node process

        with threads.Runtime(cluster=config) as runtime:
            node: Any = runtime.node
            allow_remote_start(node)
            _ready(ready_fd, name)
            return runtime.serve(main, node)

    import anyio  # noqa: PLC0415

    from spawned import tasks  # noqa: PLC0415

    async def body() -> Any:
        async with tasks.Runtime(cluster=config) as runtime:
            node: Any = runtime.node
            allow_remote_start(node)
            _ready(ready_fd, name)
            return await runtime.serve(main, node)

    return anyio.run(body, backend=backend)


def serve_forever(node: Any) -> Any:
    """A ``main`` that keeps a node up until it is stopped: the pytest fixture's nodes run
    it, and servers are started on them by reference.
    """
    from ..tasks._runtime import Runtime as TasksRuntime  # noqa: PLC0415

    if isinstance(node.runtime, TasksRuntime):
        import anyio  # noqa: PLC0415

        return anyio.sleep_forever()
    import threading  # noqa: PLC0415

    threading.Event().wait()
    return None


def _ready(ready_fd: int | None, name: str) -> None:
    if ready_fd is not None:
        with os.fdopen(ready_fd, "w") as out:
            out.write(f"{READY} {name}\n")


def _stop_with_parent() -> None:
    """In a node process, before it runs: get SIGTERM when the launcher dies (Linux), so a
    launcher killed outright (SIGKILL) leaves no node behind.
    """
    if sys.platform == "linux":
        import ctypes  # noqa: PLC0415 - Linux only

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def _say(text: str) -> None:
    sys.stderr.write(f"spawned.cluster: {text}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``run`` (the launcher) and ``node`` (one node process)."""
    parser = argparse.ArgumentParser(prog="python -m spawned.cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    launcher = commands.add_parser("run", help="run an application on N node processes")
    launcher.add_argument("--nodes", type=int, default=None, help="node processes (default: one per core)")
    launcher.add_argument("--backend", choices=BACKENDS, default="asyncio")
    launcher.add_argument("--cluster", default="spawned", help="the cluster's name (subject prefix)")
    launcher.add_argument("app", help="package.module:main, called with each node")
    node = commands.add_parser("node", help="one node process (the launcher starts these)")
    node.add_argument("--name", required=True)
    node.add_argument("--backend", choices=BACKENDS, default="asyncio")
    node.add_argument("--cluster", default="spawned")
    node.add_argument(
        "--ready-fd", type=int, default=None, help=f"write '{READY} <name>' to this fd once joined"
    )
    node.add_argument("app")
    options = parser.parse_args(argv)
    if options.command == "run":
        try:
            return run(options.app, nodes=options.nodes, backend=options.backend, cluster=options.cluster)
        except ValueError as error:
            parser.error(str(error))
    run_node(
        options.name, options.app, backend=options.backend, cluster=options.cluster, ready_fd=options.ready_fd
    )
    return 0
