"""Which runtime threads' module-level functions act on, from threads no process owns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from servers import Ping, Recorder

from spawned import NoProc, threads


def _in_pool(fn: object, *args: object) -> object:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()  # type: ignore[arg-type]


def test_a_thread_pool_worker_finds_the_only_open_runtime() -> None:
    with threads.Runtime() as rt:
        h = rt.start(Recorder(), name="recorder")
        assert _in_pool(threads.whereis, "recorder") == h
        assert _in_pool(threads.call, "recorder", Ping()) == "pong"
        with pytest.raises(NoProc):
            _in_pool(threads.call, "nobody", Ping())


def test_two_open_runtimes_are_ambiguous_outside_both_and_the_error_says_what_to_use() -> None:
    with threads.Runtime() as first, threads.Runtime():
        first.start(Recorder(), name="recorder")
        with pytest.raises(RuntimeError, match=r"2 spawned.threads runtimes are open.*rt\.whereis\(name\)"):
            _in_pool(threads.whereis, "recorder")
        assert first.call("recorder", Ping()) == "pong"


def test_with_no_runtime_open_the_error_says_how_to_open_one() -> None:
    with pytest.raises(RuntimeError, match=r"no spawned.threads runtime is open: use threads.run\(main\)"):
        _in_pool(threads.whereis, "recorder")
