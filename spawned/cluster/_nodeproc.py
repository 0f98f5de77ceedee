"""A node in a subprocess, for tests and examples: :class:`NodeProcess` starts one, and
``python -m spawned.cluster._nodeproc`` is what runs in it.

The subprocess joins the cluster described by the ``SPAWNED_CLUSTER`` environment variable
(JSON: ``node``, ``url``, ``user``, ``password``, ``system_user``, ``system_password``,
``name``, ``heartbeat``) on the backend given by ``--backend``, starts the servers that
``--app module:function`` returns (``function(backend)`` returns a mapping of names to fresh
``GenServer`` instances; each is started under its name), prints ``ready`` on a line, and
runs until its standard input closes; then it leaves the runtime (every process stopped) and
exits 0. ``NodeProcess.kill`` ends it with SIGKILL instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

if TYPE_CHECKING:
    from ._config import Cluster

__all__ = ["NodeProcess"]

READY = "ready"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class NodeProcess:
    """One node in a subprocess (see the module doc). A context manager: leaving it stops
    the node (closing its stdin; SIGKILL if it is not gone within 10 s).

    Args:
        cluster: the cluster to join (its server and credentials, name and heartbeat; its
            ``node`` is replaced, and a codec other than the default, TLS and extra options
            are not passed on).
        node: the node's name.
        app: ``"module:function"``, importable in the subprocess.
        backend: ``"asyncio"``, ``"trio"`` or ``"threads"``.
        path: directories to put on the subprocess's ``PYTHONPATH`` (where ``app`` is).
    """

    def __init__(
        self,
        cluster: Cluster,
        node: str,
        app: str,
        backend: str = "asyncio",
        path: tuple[str, ...] = (),
    ) -> None:
        self.node = node
        self.backend = backend
        self._env = dict(os.environ)
        fields = ("url", "user", "password", "token", "nkeys_seed", "credentials", "system_user")
        sent = {key: getattr(cluster, key) for key in (*fields, "system_password", "name", "heartbeat")}
        self._env["SPAWNED_CLUSTER"] = json.dumps({**sent, "node": node})
        self._env["PYTHONPATH"] = os.pathsep.join((*path, *filter(None, [os.environ.get("PYTHONPATH")])))
        self._args = [sys.executable, "-m", "spawned.cluster._nodeproc", "--backend", backend, "--app", app]
        self._process: subprocess.Popen[str] | None = None
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop/kill

    @property
    def pid(self) -> int:
        """The subprocess's OS pid."""
        assert self._process is not None  # noqa: S101 - started
        return self._process.pid

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Start the subprocess and block until it is ready (its servers started).

        Raises:
            RuntimeError: it exited or was not ready within ``timeout`` seconds (its output
                is in the message).
        """
        self._process = subprocess.Popen(  # noqa: S603 - this Python, this module
            self._args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=self._env,
            text=True,
        )
        stdout = self._process.stdout
        assert stdout is not None  # noqa: S101
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(max(0.0, deadline - time.monotonic())):
                    line = stdout.readline()
                    if line.strip() == READY:
                        return self
                    if not line:
                        break
        self.kill()
        msg = f"node {self.node!r} was not ready within {timeout} s: {self.output()}"
        raise RuntimeError(msg)

    def output(self) -> str:
        """What the subprocess wrote to stderr so far (its logs)."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Ask the node to leave in order (close its stdin) and wait; SIGKILL it after
        ``timeout`` seconds. Returns its exit status.
        """
        process = self._process
        if process is None:
            return None
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
        self._close()
        return status

    def kill(self) -> None:
        """End the node at once with SIGKILL (no goodbye: the others see it vanish)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        self._close()

    def _close(self) -> None:
        process = self._process
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._log.close()


def _load(reference: str) -> Callable[[str], Mapping[str, Any]]:
    module_name, _, attribute = reference.partition(":")
    return cast(
        "Callable[[str], Mapping[str, Any]]", getattr(importlib.import_module(module_name), attribute)
    )


def _cluster_from_env() -> Any:
    from ._config import Cluster  # noqa: PLC0415

    fields = json.loads(os.environ["SPAWNED_CLUSTER"])
    return Cluster(**fields)


def _wait_for_stdin_to_close() -> None:
    for _ in sys.stdin:
        pass


def main(argv: list[str] | None = None) -> None:
    """Run one node until stdin closes (see the module doc)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("asyncio", "trio", "threads"), default="asyncio")
    parser.add_argument("--app", required=True)
    args = parser.parse_args(argv)
    cluster = _cluster_from_env()
    servers = _load(args.app)
    if args.backend == "threads":
        from spawned import threads  # noqa: PLC0415

        with threads.Runtime(cluster=cluster) as runtime:
            for name, server in servers(args.backend).items():
                runtime.start(server, name=name)
            print(READY, flush=True)  # noqa: T201 - the parent reads it
            _wait_for_stdin_to_close()
        return

    import anyio  # noqa: PLC0415
    import anyio.to_thread  # noqa: PLC0415

    from spawned import tasks  # noqa: PLC0415

    async def run() -> None:
        async with tasks.Runtime(cluster=cluster) as runtime:
            for name, server in servers(args.backend).items():
                await runtime.start(server, name=name)
            print(READY, flush=True)  # noqa: T201 - the parent reads it
            await anyio.to_thread.run_sync(_wait_for_stdin_to_close, abandon_on_cancel=True)

    anyio.run(run, backend=args.backend)


if __name__ == "__main__":
    main()
