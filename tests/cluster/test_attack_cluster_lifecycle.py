"""Attacks on a node's lifecycle (issue 16): nothing left behind after a failed join or a
killed owner.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio.to_thread
import pytest
from test_remote import node_runtime

from spawned.cluster import EmbeddedServer
from spawned.cluster._nodeproc import NodeProcess

HERE = str(Path(__file__).parent)
APP = "cluster_servers:app"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(jetstream=False) as server:
        yield server


def _bridges() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "spawned-cluster-bridge"]


@pytest.mark.spawned_backends("trio", "threads")
async def test_a_failed_join_leaves_no_bridge_thread_and_the_other_node_unharmed(
    spawned_backend: str, server: EmbeddedServer
) -> None:
    with NodeProcess(server.cluster("twin"), "twin", APP, path=(HERE,)):
        before = _bridges()
        with pytest.raises(ConnectionError, match="'twin'"):
            async with node_runtime(spawned_backend, server.cluster("twin")):
                pass
        for thread in _bridges():
            if thread not in before:
                await anyio.to_thread.run_sync(thread.join)  # ends, or the test hangs
        assert [t for t in _bridges() if t not in before] == []
        async with node_runtime(spawned_backend, server.cluster("other")) as rt:
            factory = await (
                anyio.to_thread.run_sync(rt.runtime.node.whereis, "factory", "twin")
                if spawned_backend == "threads"
                else rt.runtime.node.whereis("factory", "twin")
            )
            assert factory is not None


OWNER = """
import sys
from spawned.cluster import EmbeddedServer
server = EmbeddedServer(jetstream=False)
server.start()
print(server._process.pid, server._dir, flush=True)
sys.stdin.read()
"""


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_an_embedded_server_does_not_outlive_its_owner_killed_with_sigkill() -> None:
    owner = subprocess.Popen(  # noqa: S603 - this Python
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    pid_text, directory = owner.stdout.readline().split()
    server_pid = int(pid_text)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    for stream in (owner.stdin, owner.stdout):
        if stream is not None:
            stream.close()
    try:
        deadline = time.monotonic() + 10  # only a failing run waits this long
        while not _gone(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(server_pid)
    finally:
        if not _gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)  # the orphan this test made
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
