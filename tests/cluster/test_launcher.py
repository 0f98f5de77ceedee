"""``python -m spawned.cluster run``: N node processes and a server, all gone after SIGTERM."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spawned.testing import BACKENDS


def _children_of(pid: int) -> list[int]:
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _read_lines(process: subprocess.Popen[bytes], count: int, timeout: float) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    buffer = b""
    deadline = time.monotonic() + timeout
    while len(lines) < count:
        ready, _, _ = select.select([process.stdout], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            break
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        *done, buffer = buffer.split(b"\n")
        lines += [line.decode() for line in done]
    return lines


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_to_the_launcher_stops_every_node_and_the_server(backend: str) -> None:
    command = [sys.executable, "-m", "spawned.cluster", "run", "--nodes", "2", "--backend", backend]
    launcher = subprocess.Popen([*command, "tests.cluster.apps:announce"], stdout=subprocess.PIPE)  # noqa: S603
    children: list[int] = []
    try:
        lines = _read_lines(launcher, 2, timeout=60)
        assert sorted(lines) == ["node1 up", "node2 up"]
        children = _children_of(launcher.pid)
        assert len(children) == 4, children  # nats-server, its watchdog and two nodes
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(60) == 0
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        _stop_everything(launcher, children or _children_of(launcher.pid))


def _stop_everything(launcher: subprocess.Popen[bytes], children: list[int]) -> None:
    """After a failure too: stop the launcher as a user would, and leave no child behind."""
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(30)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
    for pid in children:
        if _alive(pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            os.kill(pid, signal.SIGKILL)
            if b"-c" in command:  # an orphaned nats-server: its directory is left to remove too
                config = Path(os.fsdecode(command[command.index(b"-c") + 1]))
                shutil.rmtree(config.parent, ignore_errors=True)
    assert launcher.stdout is not None
    launcher.stdout.close()


def test_the_launcher_refuses_a_reference_that_is_not_module_colon_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spawned.cluster", "run", "--nodes", "1", "os.system('x')"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "bad remote start reference" in done.stderr


def test_a_node_that_fails_makes_the_launcher_fail() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spawned.cluster", "run", "--nodes", "1", "tests.cluster.apps:no_such_main"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no_such_main" in done.stderr


def test_nodes_stop_when_the_launcher_is_killed_outright() -> None:
    command = [sys.executable, "-m", "spawned.cluster", "run", "--nodes", "2", "tests.cluster.apps:announce"]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603
    children: list[int] = []
    try:
        assert len(_read_lines(launcher, 2, timeout=60)) == 2
        children = _children_of(launcher.pid)
        nodes = [pid for pid in children if b"spawned.cluster" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(nodes) == 2
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in nodes) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [pid for pid in nodes if _alive(pid)] == []  # each got SIGTERM when its parent died
    finally:
        _stop_everything(launcher, children)  # the orphaned nats-server too (the launcher's own child)
