"""Which runtime tasks' module-level functions act on, from code outside every process and
``async with`` block: a web framework's request handler, a thread-pool worker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from servers import Get, Ping, Recorder

from spawned import NoProc, tasks
from spawned.tasks import Handle

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])


async def _as_a_request_handler(results: list[object]) -> None:
    """Runs in a task started before the runtime opened, as Starlette's handlers are
    (their context never saw ``async with Runtime()``).
    """
    results.append(tasks.whereis("recorder"))
    results.append(await tasks.call("recorder", Ping()))
    tasks.cast("recorder", "from a handler")
    try:
        await tasks.call("nobody", Ping())
    except NoProc as error:
        results.append(error)


@pytest.mark.anyio
async def test_a_task_outside_the_runtime_block_finds_the_runtime_of_its_loop() -> None:
    results: list[object] = []
    go, done = anyio.Event(), anyio.Event()
    async with anyio.create_task_group() as tg:

        async def handler() -> None:
            await go.wait()
            await _as_a_request_handler(results)
            done.set()

        tg.start_soon(handler)
        async with tasks.Runtime() as rt:
            recorder = await rt.start(Recorder(), name="recorder")
            go.set()
            await done.wait()
            assert results[0] == recorder
            assert results[1] == "pong"
            assert isinstance(results[2], NoProc)
            assert await recorder.call(Get()) == [("cast", "from a handler")]


@pytest.mark.anyio
async def test_a_thread_pool_worker_finds_the_only_open_runtime() -> None:
    async with tasks.Runtime() as rt:
        recorder = await rt.start(Recorder(), name="recorder")

        def lookup() -> Handle | None:
            return tasks.whereis("recorder")

        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(lookup)
            found = await anyio.to_thread.run_sync(future.result)
        assert found == recorder


@pytest.mark.anyio
async def test_two_runtimes_on_one_loop_are_ambiguous_outside_both() -> None:
    async with tasks.Runtime() as first, tasks.Runtime():
        await first.start(Recorder(), name="recorder")

        def lookup() -> object:
            return tasks.whereis("recorder")

        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(lookup)
            with pytest.raises(
                RuntimeError, match=r"2 spawned.tasks runtimes are open.*rt\.call\(name, msg\)"
            ):
                await anyio.to_thread.run_sync(future.result)
