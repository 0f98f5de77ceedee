"""A cluster for one test: a NATS server, node subprocesses, and a node in the test process.

[`open_test_cluster`][spawned.testing.open_test_cluster] (and the ``spawned_cluster`` fixture)
starts an [`EmbeddedServer`][spawned.cluster.EmbeddedServer] on loopback and ``nodes`` node
processes (``node1`` ... ``nodeN``, on asyncio; each accepts remote starts), and joins the
test's own runtime to the cluster as node ``test``. Through it the test starts servers on any
node by reference and gets their handles, kills a node with SIGKILL, restarts it, and on
leaving everything is stopped and checked: no node process and no ``nats-server`` survives.

Needs the ``cluster`` extra (``pip install 'spawned[cluster]'``); the fixture skips a test
cleanly without it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from ._runtime import Backend, TestHandle, TestRuntime

if TYPE_CHECKING:
    from ..cluster._embedded import EmbeddedServer

READY_TIMEOUT = 30.0
"""Seconds a node process gets to join the cluster."""
STOP_TIMEOUT = 10.0
"""Seconds the node processes get to stop after SIGTERM before they are killed."""
TEST_NODE = "test"
"""The name of the test process's own node."""


class TestCluster:
    """The cluster of one test. Made by [`open_test_cluster`][spawned.testing.open_test_cluster].

    Attributes: ``rt`` (the test's [`TestRuntime`][spawned.testing.TestRuntime], joined as
    node ``test``), ``node`` (its node), ``server`` (the NATS server), ``names`` (the node
    processes' names, ``node1`` first).
    """

    __test__ = False

    def __init__(self, rt: TestRuntime, server: EmbeddedServer, names: Sequence[str], cluster: str) -> None:
        self.rt = rt
        self.node: Any = rt.runtime.node
        self.server = server
        self.names: list[str] = list(names)
        self.cluster = cluster
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    # -- node processes ------------------------------------------------------------------------

    def pid(self, name: str) -> int:
        """The OS process id of node ``name``'s process."""
        return self._process(name).pid

    def is_running(self, name: str) -> bool:
        """Whether node ``name``'s process is running."""
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    async def spawn(self, name: str) -> None:
        """Start node ``name``'s process and wait until it has joined the cluster.

        Raises:
            RuntimeError: it is already running, or it did not join within
                ``READY_TIMEOUT`` seconds (its output is in the message).
        """
        from ..cluster._launcher import node_command, node_environment  # noqa: PLC0415 - cluster extra

        if self.is_running(name):
            msg = f"node {name} is already running (kill it first)"
            raise RuntimeError(msg)
        read_end, write_end = os.pipe()
        try:
            command = node_command(
                name,
                "spawned.cluster._launcher:serve_forever",
                backend="asyncio",
                cluster=self.cluster,
                ready_fd=write_end,
            )
            environment = {**os.environ, **node_environment(self.server)}
            process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command; Popen returns at once
                command, env=environment, pass_fds=(write_end,), stdin=subprocess.DEVNULL
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._processes[name] = process
        if name not in self.names:
            self.names.append(name)
        try:
            ready = await anyio.to_thread.run_sync(_read_ready, read_end, READY_TIMEOUT)
        finally:
            os.close(read_end)
        if not ready:
            await anyio.to_thread.run_sync(_stop, [process], 0.0)
            status = process.returncode
            msg = f"node {name} did not join the cluster within {READY_TIMEOUT} s (exit status {status})"
            raise RuntimeError(msg)

    async def kill(self, name: str) -> None:
        """SIGKILL node ``name``'s process and wait until the OS has reaped it. The other
        nodes see it go down (``Down(..., "noconnection")``) within the detection time.
        """
        process = self._process(name)
        process.send_signal(signal.SIGKILL)
        await anyio.to_thread.run_sync(process.wait)

    async def restart(self, name: str) -> None:
        """Start node ``name`` again after :meth:`kill` (a new run of it: pids of the old run
        never reach the new one).
        """
        if self.is_running(name):
            await self.kill(name)
        await self.spawn(name)

    # -- servers on the nodes -------------------------------------------------------------------

    async def start(
        self,
        name: str,
        reference: str,
        *,
        args: Sequence[object] = (),
        kwargs: dict[str, object] | None = None,
        server_name: object = None,
    ) -> TestHandle[Any, Any, Any]:
        """Start ``reference(*args, **kwargs)`` (``"package.module:Class"``) on node ``name``
        and return its handle (see ``spawned.cluster.start_on``); ``InitFailed`` and the
        like are raised here as a local start raises them.
        """
        from ..cluster._remote_start import start_on  # noqa: PLC0415 - cluster extra

        started = start_on(self.node, name, reference, args=args, kwargs=kwargs, name=server_name)
        if self.rt.backend == "threads":
            handle = await anyio.to_thread.run_sync(lambda: started)
        else:
            handle = await started
        return TestHandle(handle, self.rt.backend)

    def _process(self, name: str) -> subprocess.Popen[bytes]:
        try:
            return self._processes[name]
        except KeyError:
            msg = f"no node process {name!r}; the nodes are {self.names}"
            raise LookupError(msg) from None

    async def aclose(self) -> None:
        """Stop every node process (SIGTERM, SIGKILL after ``STOP_TIMEOUT``)."""
        await anyio.to_thread.run_sync(_stop, list(self._processes.values()), STOP_TIMEOUT)

    def left_running(self) -> list[str]:
        """Node processes (and the server) still running: ``[]`` once closed."""
        left = [f"node {name} (pid {p.pid})" for name, p in self._processes.items() if p.poll() is None]
        if self.server.running:
            left.append(f"nats-server {self.server.url}")
        return left


@asynccontextmanager
async def open_test_cluster(
    backend: Backend, nodes: int = 2, *, cluster: str = "test"
) -> AsyncGenerator[TestCluster]:
    """A [`TestCluster`][spawned.testing.TestCluster]: a NATS server, ``nodes`` node processes,
    and a runtime of ``backend`` joined as node ``test``, inside the running (anyio) test loop.

    On leaving, the test runtime shuts down, every node process is stopped, then the
    server; it is an error if any of them is still running afterwards.
    """
    from ..cluster._config import Cluster  # noqa: PLC0415 - cluster extra
    from ..cluster._embedded import EmbeddedServer  # noqa: PLC0415

    if type(nodes) is not int or nodes < 0:
        msg = f"nodes must be an int >= 0, got {nodes!r}"
        raise ValueError(msg)
    server = EmbeddedServer()
    await anyio.to_thread.run_sync(server.start)
    try:
        config = Cluster(
            node=TEST_NODE,
            url=server.url,
            user=server.user,
            password=server.password,
            system_user=server.system_user,
            system_password=server.system_password,
            name=cluster,
        )
        async with _cluster_runtime(backend, config) as rt:
            test_cluster = TestCluster(rt, server, [], cluster)
            try:
                for number in range(1, nodes + 1):
                    await test_cluster.spawn(f"node{number}")
                yield test_cluster
            finally:
                with anyio.CancelScope(shield=True):
                    await test_cluster.aclose()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(server.stop)
    left = test_cluster.left_running()
    assert not left, f"left running after the test cluster closed: {left}"


@asynccontextmanager
async def _cluster_runtime(backend: Backend, config: Any) -> AsyncGenerator[TestRuntime]:
    if backend == "threads":
        from spawned import threads  # noqa: PLC0415 - a backend is loaded only when used

        runtime = threads.Runtime(cluster=config).__enter__()  # joins: blocks the loop briefly
        try:
            yield TestRuntime(runtime, backend)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(runtime.shutdown)  # blocks: off the loop
            runtime.__exit__(None, None, None)
    else:
        from spawned import tasks  # noqa: PLC0415

        async with tasks.Runtime(cluster=config) as runtime:
            yield TestRuntime(runtime, backend)


def _read_ready(fd: int, timeout: float) -> bool:
    """Whether the node wrote its ready line to ``fd`` within ``timeout`` seconds."""
    from ..cluster._launcher import READY  # noqa: PLC0415

    readable, _, _ = select.select([fd], [], [], timeout)
    if not readable:
        return False
    return os.read(fd, 4096).decode(errors="replace").startswith(READY)


def _stop(processes: Sequence[subprocess.Popen[bytes]], timeout: float) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if timeout > 0 else signal.SIGKILL)
    for process in processes:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
