"""A Starlette app whose lifespan runs a supervision tree; request handlers call servers by name.

Each counter is a ``GenServer`` started on demand under a ``DynamicSupervisor`` and named
``Via(counters, name)``. Handlers reach it with ``call(Via(counters, name), msg)``: no handle
kept anywhere, and ``NoProc`` (a 404 here) for a counter nobody started. A fault-injection
route crashes one; the supervisor restarts it under the same name with fresh state.

Backends:

- ``asyncio`` and ``trio``: the lifespan opens a ``spawned.tasks.Runtime`` on the app's own
  event loop and the handlers are ``async def``; ``tasks.call`` in a handler finds that runtime
  because it runs the handler's event loop. (Starlette runs on anyio, so trio works too, for
  example under hypercorn; uvicorn is asyncio only.)
- ``threads``: the lifespan opens a ``spawned.threads.Runtime`` and the handlers are plain
  ``def``, which Starlette runs in its thread pool; ``threads.call`` there blocks that worker
  thread only, and finds the runtime as the only one open in the process.

``main`` drives the app in-process with Starlette's ``TestClient`` (no port is opened); to
serve it, ``uvicorn --app-dir examples starlette_app:app`` (threads: ``starlette_app:sync_app``).
Needs the ``web`` extra: ``pip install "spawned[web]"``.

Run: python examples/starlette_app.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager

# --8<-- [start:server]
from attrs import frozen
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient  # drives the app in main()

from spawned import (
    AlreadyStarted,
    Caller,
    ChildSpec,
    DynamicSupervisor,
    GenServer,
    NoProc,
    Registry,
    Reply,
    Via,
    tasks,
    threads,
)


@frozen
class Get:
    """Call: the current value."""


@frozen
class Add:
    """Call: add ``amount``; replies with the new value."""

    amount: int


class Counter(GenServer[Get | Add, str, int]):
    def init(self) -> None:
        self.value = 0

    def handle_call(self, msg: Get | Add, caller: Caller[int]) -> Reply[int]:
        if isinstance(msg, Add):
            self.value += msg.amount
        return Reply(self.value)

    def handle_cast(self, msg: str) -> None:
        raise RuntimeError(f"asked to crash: {msg}")


counters: Registry[str, None] = Registry(keys="unique")


def counter_spec(name: str) -> ChildSpec:
    return ChildSpec(name, Counter, name=Via(counters, name))


def not_found(name: str) -> JSONResponse:
    return JSONResponse({"error": f"no counter {name!r}"}, status_code=404)


def exists(name: str) -> JSONResponse:
    return JSONResponse({"error": f"counter {name!r} exists"}, status_code=409)


def amount(request: Request) -> int:
    return int(request.query_params.get("by", "1"))


# --8<-- [end:server]


# --8<-- [start:tasks]
@asynccontextmanager
async def tasks_lifespan(_app: Starlette) -> AsyncGenerator[None]:
    async with tasks.Runtime() as rt:  # leaving it stops the tree, last started first
        await rt.start(DynamicSupervisor(max_children=1000), name="counters")
        yield


def tasks_supervisor() -> tasks.DynamicSupervisorHandle:
    supervisor = tasks.whereis("counters")  # works in a handler: see "What waits"
    if isinstance(supervisor, tasks.DynamicSupervisorHandle):
        return supervisor
    raise LookupError(f"'counters' is {supervisor!r}, not a running DynamicSupervisor")


async def create(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:
        await tasks_supervisor().start_child(counter_spec(name))
    except AlreadyStarted:  # the registry holds the name: one counter per name, race-free
        return exists(name)
    return JSONResponse({"created": name}, status_code=201)


async def add(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:  # a call by name: NoProc when nobody holds it
        return JSONResponse({name: await tasks.call(Via(counters, name), Add(amount(request)))})
    except NoProc:
        return not_found(name)


async def get(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:
        return JSONResponse({name: await tasks.call(Via(counters, name), Get())})
    except NoProc:
        return not_found(name)


async def crash(request: Request) -> JSONResponse:
    """Fault injection for the demo: crash the counter and wait until it is back."""
    name: str = request.path_params["name"]
    counter = tasks.whereis(Via(counters, name))
    if counter is None:
        return not_found(name)
    counter.cast("fault injection")
    reason = await counter.join()
    await tasks_supervisor().which_children()  # answered once the supervisor has restarted it
    restarted = tasks.whereis(Via(counters, name))
    return JSONResponse({"crashed": type(reason).__name__, "restarted": restarted not in (None, counter)})


app = Starlette(
    routes=[
        Route("/counters/{name}", create, methods=["POST"]),
        Route("/counters/{name}", get, methods=["GET"]),
        Route("/counters/{name}/add", add, methods=["POST"]),
        Route("/counters/{name}/crash", crash, methods=["POST"]),
    ],
    lifespan=tasks_lifespan,
)
"""The app on ``spawned.tasks`` (asyncio under uvicorn)."""


# --8<-- [end:tasks]


# --8<-- [start:threads]
@asynccontextmanager
async def threads_lifespan(_app: Starlette) -> AsyncGenerator[None]:
    # Entering and leaving block the event loop while the tree starts and stops: no
    # request is being served then.
    with threads.Runtime() as rt:
        rt.start(DynamicSupervisor(max_children=1000), name="counters")
        yield


def threads_supervisor() -> threads.DynamicSupervisorHandle:
    supervisor = threads.whereis("counters")  # the only threads runtime open in the process
    if isinstance(supervisor, threads.DynamicSupervisorHandle):
        return supervisor
    raise LookupError(f"'counters' is {supervisor!r}, not a running DynamicSupervisor")


def create_sync(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:
        threads_supervisor().start_child(counter_spec(name))
    except AlreadyStarted:
        return exists(name)
    return JSONResponse({"created": name}, status_code=201)


def add_sync(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:
        return JSONResponse({name: threads.call(Via(counters, name), Add(amount(request)))})
    except NoProc:
        return not_found(name)


def get_sync(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    try:
        return JSONResponse({name: threads.call(Via(counters, name), Get())})
    except NoProc:
        return not_found(name)


def crash_sync(request: Request) -> JSONResponse:
    name: str = request.path_params["name"]
    counter = threads.whereis(Via(counters, name))
    if counter is None:
        return not_found(name)
    counter.cast("fault injection")
    reason = counter.join()
    threads_supervisor().which_children()
    restarted = threads.whereis(Via(counters, name))
    return JSONResponse({"crashed": type(reason).__name__, "restarted": restarted not in (None, counter)})


sync_app = Starlette(
    routes=[
        Route("/counters/{name}", create_sync, methods=["POST"]),
        Route("/counters/{name}", get_sync, methods=["GET"]),
        Route("/counters/{name}/add", add_sync, methods=["POST"]),
        Route("/counters/{name}/crash", crash_sync, methods=["POST"]),
    ],
    lifespan=threads_lifespan,
)
"""The app on ``spawned.threads``, with plain ``def`` handlers."""


# --8<-- [end:threads]


# --8<-- [start:client]
def drive(client: TestClient) -> Iterator[str]:
    """The requests a client makes, each with its status and body."""
    for method, path in [
        ("POST", "/counters/apples"),
        ("POST", "/counters/apples"),
        ("POST", "/counters/apples/add?by=3"),
        ("POST", "/counters/apples/add"),
        ("GET", "/counters/apples"),
        ("GET", "/counters/pears"),
        ("POST", "/counters/apples/crash"),
        ("GET", "/counters/apples"),
    ]:
        response = client.request(method, path)
        yield f"{method} {path} -> {response.status_code} {response.text}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("asyncio", "trio", "threads"), default="asyncio")
    backend = parser.parse_args(argv).backend
    served, loop = (sync_app, "asyncio") if backend == "threads" else (app, backend)
    with TestClient(served, backend=loop) as client:  # runs the lifespan: the tree starts
        for line in drive(client):
            print(line)
    print("after the lifespan, counters registered:", counters.count())  # the tree has stopped


# --8<-- [end:client]


# --8<-- [start:expected]
EXPECTED = """\
POST /counters/apples -> 201 {"created":"apples"}
POST /counters/apples -> 409 {"error":"counter 'apples' exists"}
POST /counters/apples/add?by=3 -> 200 {"apples":3}
POST /counters/apples/add -> 200 {"apples":4}
GET /counters/apples -> 200 {"apples":4}
GET /counters/pears -> 404 {"error":"no counter 'pears'"}
POST /counters/apples/crash -> 200 {"crashed":"RuntimeError","restarted":true}
GET /counters/apples -> 200 {"apples":0}
after the lifespan, counters registered: 0
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
