"""The node runtime: a GenServer fed by stdin lines, writing protocol messages to stdout.

Three parts, all on spawned's public API:

- a reader thread reads stdin line by line and ``send``s each line to the router (``send``
  is safe from any thread, so reading never blocks an event loop);
- the router, a GenServer, parses lines, answers ``init``, rejects bad input, resolves RPC
  replies (waiting callers through ``Caller.reply``) and forwards every other message to
  the node;
- the node, the user's ``Node`` subclass, handles one message at a time.

The router is a process of its own so that a node waiting in ``rpc`` (a ``call`` to the
router) still gets its reply.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from itertools import count
from typing import IO, Any, ClassVar, TypeVar, cast

from attrs import define, frozen
from loguru import logger

from spawned import Caller, CallTimeout, GenServer, NoProc, NoReply, ServerExited, Stop, Timer, tasks, threads

from ._errors import (
    Crash,
    MaelstromError,
    MalformedRequest,
    NodeNotFound,
    NotSupported,
    TemporarilyUnavailable,
    Timeout,
    error_from_body,
)
from ._messages import Fields, Message, encode_body, parse_body, type_of

F = TypeVar("F", bound=Callable[..., Any])

BACKENDS = ("asyncio", "trio", "threads")
HANDLER_ATTRIBUTE = "__maelstrom_on__"
READ_SIZE = 1 << 16
"""Bytes the stdin reader asks for at once."""
EXPIRED_MEMORY = 100_000
"""How many timed-out RPCs the router remembers, to drop their late replies."""
CALL_GRACE = 5.0
"""Seconds a waiting ``rpc`` allows beyond its timeout for the router's own timeout answer."""

Then = Callable[[Any], object]
"""A callback for ``rpc_then``: gets the reply ``Message`` or a ``MaelstromError``."""


def on(message_type: str | type) -> Callable[[F], F]:
    """Mark a `Node` method as the handler of a message type.

    Give the type's name (the body arrives as [`Fields`][spawned.maelstrom.Fields]) or a class
    declared with [`body`][spawned.maelstrom.body] (the body arrives as an instance of it):

    ```python
    class EchoNode(maelstrom.Node):
        @maelstrom.on("echo")
        def echo(self, msg):
            return {"echo": msg.body.echo}  # replies {"type": "echo_ok", "echo": ...}
    ```

    A handler returns ``None`` or a reply body (a mapping or a declared attrs instance; its
    type defaults to the request's type plus ``_ok``); it may also reply later with
    `Node.reply`. On `spawned.tasks` a handler may be ``async def`` (to await `Node.rpc`).
    """
    if isinstance(message_type, str):
        name, body_class = message_type, None
    else:
        declared = type_of(message_type)
        if declared is None:
            msg = f"maelstrom.on({message_type!r}): declare the class with maelstrom.body('type') first"
            raise TypeError(msg)
        name, body_class = declared, message_type

    def mark(method: F) -> F:
        setattr(method, HANDLER_ATTRIBUTE, (name, body_class))
        return method

    return mark


class _Wire:
    """Message ids and stdout, shared by the router and the node; safe from any thread.

    Each message is one JSON line, written and flushed under a lock.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.node_id: str = ""
        self.node_ids: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._ids = count(1)

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def write(self, dest: str, body: Mapping[str, Any], src: str = "") -> None:
        """Write one message from ``src`` (default: this node's id) to ``dest``."""
        line = json.dumps({"src": src or self.node_id, "dest": dest, "body": body}, separators=(",", ":"))
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def error(self, dest: str, in_reply_to: object, error: MaelstromError, src: str = "") -> None:
        """Answer message ``in_reply_to`` with ``error``; nothing when it has no msg_id."""
        if isinstance(in_reply_to, int):
            self.write(dest, {**error.to_body(), "in_reply_to": in_reply_to}, src)


@frozen
class _Lines:
    lines: tuple[bytes, ...]


@frozen
class _StdinClosed:
    pass


@frozen
class _Init:
    node_id: str
    node_ids: tuple[str, ...]


@frozen
class _Incoming:
    src: str
    dest: str
    body: Mapping[str, Any]


@frozen
class _Rpc:
    dest: str
    body: dict[str, Any]
    timeout: float
    then: Then | None = None
    msg_id: int | None = None
    """Set when the node writes the request itself (``rpc_then``), after registering it."""


@frozen
class _RpcDone:
    then: Then
    result: Any


@frozen
class _Expire:
    msg_id: int


@define
class _Pending:
    waiter: Caller[Any] | Then
    timer: Timer


class _Router(GenServer[_Rpc, _Rpc, Any]):
    """Parses stdin lines, answers ``init``, resolves RPC replies, forwards the rest."""

    def __init__(self, wire: _Wire, node: Any) -> None:
        self.wire = wire
        self.node = node
        self.pending: dict[int, _Pending] = {}
        self.expired: dict[int, None] = {}  # RPCs that timed out, oldest first: their replies are dropped

    def init(self) -> None:
        self.link(self.node)  # a crashed node ends the program, and the router's end stops the node

    def handle_call(self, msg: _Rpc, caller: Caller[Any]) -> NoReply:
        self._start_rpc(msg, caller)
        return NoReply()

    def handle_cast(self, msg: _Rpc) -> None:
        assert msg.then is not None  # noqa: S101 - casts always carry a callback
        self._start_rpc(msg, msg.then)

    def _start_rpc(self, msg: _Rpc, waiter: Caller[Any] | Then) -> None:
        msg_id = self.wire.next_id() if msg.msg_id is None else msg.msg_id
        self.pending[msg_id] = _Pending(waiter, self.send_after(msg.timeout, _Expire(msg_id)))
        if msg.msg_id is None:
            self.wire.write(msg.dest, {**msg.body, "msg_id": msg_id})

    def handle_info(self, msg: object) -> Stop | None:
        match msg:
            case _Lines(lines):
                for line in lines:
                    self._receive(line)
            case _Expire(msg_id):
                pending = self.pending.pop(msg_id, None)
                if pending is not None:
                    self.expired[msg_id] = None
                    if len(self.expired) > EXPIRED_MEMORY:
                        del self.expired[next(iter(self.expired))]
                    self._resolve(pending, Timeout(f"no reply to message {msg_id} in time"))
            case _StdinClosed():
                return Stop("normal")
            case _:
                return super().handle_info(msg)  # type: ignore[return-value]
        return None

    def _resolve(self, pending: _Pending, result: Message[Fields] | MaelstromError) -> None:
        waiter = pending.waiter
        if isinstance(waiter, Caller):
            cast("Caller[Any]", waiter).reply(result)
        else:
            self.node.send(_RpcDone(waiter, result))

    def _receive(self, data: bytes) -> None:  # noqa: C901, PLR0911 - one check per kind of bad input
        wire = self.wire
        try:
            envelope = json.loads(data)
        except ValueError as error:
            logger.error("maelstrom: ignored a line that is not JSON ({}): {!r}", error, data[:200])
            return
        if not isinstance(envelope, dict):
            logger.error("maelstrom: ignored a line that is not a JSON object: {!r}", data[:200])
            return
        src, dest, body = envelope.get("src"), envelope.get("dest"), envelope.get("body")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if not isinstance(body, dict) or not isinstance(src, str) or not isinstance(dest, str):
            logger.error(
                "maelstrom: ignored a message without src, dest and an object body: {!r}", data[:200]
            )
            return
        body_map: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        msg_id = body_map.get("msg_id")
        kind = body_map.get("type")
        me = wire.node_id or dest  # before init, answer as the node the message was sent to
        if not isinstance(kind, str):
            logger.error("maelstrom: a message from {} has a body without a type: {!r}", src, data[:200])
            wire.error(src, msg_id, MalformedRequest("the body has no 'type' field"), me)
            return
        if not wire.node_id:
            if kind == "init":
                self._init(src, dest, body_map)
            else:
                logger.error("maelstrom: a {!r} message from {} came before init", kind, src)
                wire.error(src, msg_id, TemporarilyUnavailable("this node has not received init yet"), me)
            return
        if dest != wire.node_id:
            logger.error("maelstrom: a {!r} message for {!r} reached node {!r}", kind, dest, wire.node_id)
            wire.error(src, msg_id, NodeNotFound(f"this is node {wire.node_id}, not {dest}"))
            return
        if kind == "init":
            logger.error("maelstrom: a second init from {} was refused", src)
            wire.error(src, msg_id, MalformedRequest(f"this node is already initialised as {wire.node_id}"))
            return
        in_reply_to = body_map.get("in_reply_to")
        pending = self.pending.pop(in_reply_to, None) if isinstance(in_reply_to, int) else None
        if pending is not None:
            pending.timer.cancel()
            reply = Message(src, dest, Fields(body_map), body_map)
            self._resolve(pending, error_from_body(body_map) if kind == "error" else reply)
            return
        if in_reply_to in self.expired:
            logger.debug("maelstrom: dropped a late {!r} reply from {} to message {}", kind, src, in_reply_to)
            return
        self.node.send(_Incoming(src, dest, body_map))

    def _init(self, src: str, dest: str, body: dict[str, Any]) -> None:
        """Take the node's id and the cluster's, and acknowledge; ``init_ok`` answers the
        init's ``msg_id`` when it has one (Maelstrom always sends one).
        """
        node_id, node_ids, msg_id = body.get("node_id"), body.get("node_ids"), body.get("msg_id")
        if not isinstance(node_id, str) or not isinstance(node_ids, list):
            logger.error("maelstrom: init needs node_id (a string) and node_ids (a list): {!r}", body)
            self.wire.error(src, msg_id, MalformedRequest("init needs node_id and node_ids"), dest)
            return
        self.wire.node_id = node_id
        self.wire.node_ids = tuple(str(n) for n in node_ids)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        self.node.send(_Init(node_id, self.wire.node_ids))
        reply: dict[str, Any] = {"type": "init_ok", "msg_id": self.wire.next_id()}
        if isinstance(msg_id, int):
            reply["in_reply_to"] = msg_id
        self.wire.write(src, reply)


class Node(GenServer[Any, Any, Any]):
    """A Maelstrom node: a GenServer whose messages come from stdin and go to stdout.

    Mark handler methods with [`on`][spawned.maelstrom.on] and run the class with
    [`run`][spawned.maelstrom.run]. The runtime answers ``init`` itself, sets `node_id` and
    `node_ids` and calls [`setup`][spawned.maelstrom.Node.setup] before any handler runs.
    Handlers run one at a time, in arrival order, like every GenServer callback; timers
    (``self.send_interval``) and other info messages arrive in
    [`handle_other`][spawned.maelstrom.Node.handle_other].

    A message type without a handler gets a ``not-supported`` error reply (a reply without
    a handler is dropped quietly); a handler that raises a
    [`MaelstromError`][spawned.maelstrom.MaelstromError] replies with that error; any other
    exception is logged to stderr and answered with ``crash``. The node keeps running.
    """

    node_id: str = ""
    """This node's id (``"n1"``), set from ``init``."""
    node_ids: tuple[str, ...] = ()
    """Every node's id, this one included, from ``init``."""

    _maelstrom_handlers: ClassVar[dict[str, tuple[str, type | None]]] = {}
    _maelstrom_wire: _Wire | None = None
    _maelstrom_router: Any = None
    _maelstrom_tasks: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[str, tuple[str, type | None]] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                marked = getattr(value, HANDLER_ATTRIBUTE, None)
                if marked is not None:
                    handlers[marked[0]] = (attribute, marked[1])
        cls._maelstrom_handlers = handlers

    # -- hooks -------------------------------------------------------------------------

    def setup(self) -> Any:
        """Runs once ``init`` has arrived (`node_id` and `node_ids` are set), before any
        handler. Start timers here. May be ``async def`` on `spawned.tasks`.
        """
        return None

    def handle_other(self, msg: Any) -> Any:
        """Handle an info message that is not a Maelstrom message: a timer's, a ``Down``...

        The default logs a warning and drops it. May return ``Stop(reason)``.
        """
        return super().handle_info(msg)

    # -- sending -----------------------------------------------------------------------

    @property
    def _maelstrom_live_wire(self) -> _Wire:
        wire = self._maelstrom_wire
        if wire is None:
            msg = f"{type(self).__name__} is not running: start it with spawned.maelstrom.run"
            raise RuntimeError(msg)
        return wire

    def send(self, dest: str, body: object) -> int:
        """Send ``body`` to node (or service) ``dest``; returns the message's ``msg_id``.

        ``body`` is a mapping with a ``"type"`` or an instance of a class declared with
        [`body`][spawned.maelstrom.body]. Never blocks (beyond writing one line to stdout).
        Replies to it, if any, arrive at the handler for their type.
        """
        wire = self._maelstrom_live_wire
        msg_id = wire.next_id()
        wire.write(dest, {**encode_body(body), "msg_id": msg_id})
        return msg_id

    def reply(self, request: Message[Any], body: object = None) -> None:
        """Reply to ``request`` with ``body`` (a mapping, a declared attrs instance or
        ``None``); its type defaults to the request's type plus ``_ok``.

        A request without ``msg_id`` expects no reply: nothing is sent.
        """
        if request.msg_id is None:
            logger.debug("maelstrom: {} expects no reply; dropped {!r}", request.type, body)
            return
        wire = self._maelstrom_live_wire
        out = encode_body(body, default_type=f"{request.type}_ok")
        wire.write(request.src, {**out, "in_reply_to": request.msg_id, "msg_id": wire.next_id()})

    def reply_error(self, request: Message[Any], error: MaelstromError) -> None:
        """Reply to ``request`` with ``error`` (an ``error`` body with its code and text)."""
        self._maelstrom_live_wire.error(request.src, request.msg_id, error)

    def rpc(self, dest: str, body: object, timeout: float = 1.0) -> Any:
        """Send ``body`` to ``dest`` and wait for its reply (a `Message`).

        On `spawned.tasks` this returns an awaitable (``await self.rpc(...)`` in an
        ``async def`` handler); on `spawned.threads` it blocks. The node handles no other
        message meanwhile, as with any call from a GenServer: for many RPCs in flight at
        once, use [`rpc_then`][spawned.maelstrom.Node.rpc_then].

        Raises:
            Timeout: no reply within ``timeout`` seconds (a later reply is dropped).
            MaelstromError: the reply was an ``error``; the subclass matches its code.
        """
        request = _Rpc(dest, encode_body(body), timeout)
        router = self._maelstrom_router
        if self._maelstrom_tasks:
            return _await_reply(router.call(request, timeout=timeout + CALL_GRACE))
        return _reply_or_raise(_blocking_reply(lambda: router.call(request, timeout=timeout + CALL_GRACE)))

    def rpc_then(self, dest: str, body: object, then: Then, timeout: float = 1.0) -> None:
        """Send ``body`` to ``dest``; call ``then(result)`` in this node when it is answered.

        ``result`` is the reply `Message`, or a [`MaelstromError`][spawned.maelstrom.MaelstromError]:
        the remote error, or [`Timeout`][spawned.maelstrom.Timeout] after ``timeout``
        seconds (a later reply is dropped). Never blocks, works on every backend, and any
        number may be in flight. ``then`` runs like a handler: one at a time, in this node.
        Returns nothing; the request is written at once, after the messages sent before it.
        """
        wire = self._maelstrom_live_wire
        msg_id = wire.next_id()
        out = {**encode_body(body), "msg_id": msg_id}
        # Registered first, written second: the router takes the registration before any
        # reply, which can only come after the write. The request leaves in program order.
        self._maelstrom_router.cast(_Rpc(dest, out, timeout, then, msg_id))
        wire.write(dest, out)

    # -- dispatch ----------------------------------------------------------------------

    def handle_info(self, msg: Any) -> Any:
        """Dispatch a message to its handler (see [`on`][spawned.maelstrom.on]); the
        runtime's own messages are handled here, anything else goes to `handle_other`.
        """
        match msg:
            case _Incoming():
                return self._maelstrom_dispatch(msg)
            case _RpcDone(then, result):
                return self._maelstrom_run_then(then, result)
            case _Init(node_id, node_ids):
                self.node_id, self.node_ids = node_id, node_ids
                return self.setup()
            case _:
                return self.handle_other(msg)

    def _maelstrom_dispatch(self, incoming: _Incoming) -> Any:
        raw = incoming.body
        kind: str = raw["type"]
        entry = self._maelstrom_handlers.get(kind)
        if entry is None:
            if raw.get("in_reply_to") is not None:
                logger.debug("maelstrom: {} dropped a {!r} reply nobody waits for", self.node_id, kind)
            else:
                logger.warning("maelstrom: {} has no handler for {!r} messages", self.node_id, kind)
                self._maelstrom_live_wire.error(
                    incoming.src, raw.get("msg_id"), NotSupported(f"no handler for {kind!r}")
                )
            return None
        method_name, body_class = entry
        try:
            body: Any = parse_body(body_class, raw)
        except MalformedRequest as error:
            logger.error("maelstrom: {} refused a message from {}: {}", self.node_id, incoming.src, error)
            self._maelstrom_live_wire.error(incoming.src, raw.get("msg_id"), error)
            return None
        message: Message[Any] = Message(incoming.src, incoming.dest, body, raw)
        try:
            result = getattr(self, method_name)(message)
        except Exception as error:  # noqa: BLE001 - reported to the sender, the node goes on
            self._maelstrom_failed(message, error)
            return None
        if inspect.iscoroutine(result):
            return self._maelstrom_finish(message, result)
        self._maelstrom_answer(message, result)
        return None

    async def _maelstrom_finish(self, message: Message[Any], pending: Coroutine[Any, Any, Any]) -> None:
        try:
            result = await pending
        except Exception as error:  # noqa: BLE001 - reported to the sender, the node goes on
            self._maelstrom_failed(message, error)
            return
        self._maelstrom_answer(message, result)

    def _maelstrom_answer(self, message: Message[Any], result: object) -> None:
        if result is not None:
            self.reply(message, result)

    def _maelstrom_failed(self, message: Message[Any], error: Exception) -> None:
        if not isinstance(error, MaelstromError):
            logger.opt(exception=error).error(
                "maelstrom: {} crashed handling {!r} from {}", self.node_id, message.type, message.src
            )
            error = Crash(f"{type(error).__name__}: {error}")
        self.reply_error(message, error)

    def _maelstrom_run_then(self, then: Then, result: object) -> Any:
        try:
            outcome = then(result)
        except Exception as error:  # noqa: BLE001 - no sender to answer: log it, go on
            logger.opt(exception=error).error("maelstrom: {}: an rpc_then callback raised", self.node_id)
            return None
        if inspect.iscoroutine(outcome):
            return _log_failure(self.node_id, outcome)
        return None


async def _log_failure(node_id: str, pending: Coroutine[Any, Any, Any]) -> None:
    try:
        await pending
    except Exception as error:  # noqa: BLE001 - no sender to answer: log it, go on
        logger.opt(exception=error).error("maelstrom: {}: an rpc_then callback raised", node_id)


def _reply_or_raise(result: object) -> Message[Fields]:
    if isinstance(result, MaelstromError):
        raise result
    assert isinstance(result, Message)  # noqa: S101 - the router answers with these two only
    return result  # pyright: ignore[reportUnknownVariableType]


async def _await_reply(call: Any) -> Message[Fields]:
    try:
        result = await call
    except (CallTimeout, ServerExited, NoProc) as error:
        raise Timeout(f"the node is shutting down: {error!r}") from None
    return _reply_or_raise(result)


def _blocking_reply(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (CallTimeout, ServerExited, NoProc) as error:
        raise Timeout(f"the node is shutting down: {error!r}") from None


def _read_lines(source: Iterable[bytes], router: Any) -> None:
    """Send stdin's lines to the router, as many per message as have arrived together
    (one wake-up of the router per read, not per line), then ``_StdinClosed``.
    """
    try:
        read1 = getattr(source, "read1", None)
        if read1 is None:
            for line in source:
                if line.strip():
                    router.send(_Lines((line,)))
            return
        rest = b""
        while chunk := read1(READ_SIZE):
            *lines, rest = (rest + chunk).split(b"\n")
            batch = tuple(line for line in lines if line.strip())
            if batch:
                router.send(_Lines(batch))
        if rest.strip():
            router.send(_Lines((rest,)))
    finally:
        router.send(_StdinClosed())


def _prepare(node: Node, wire: _Wire, tasks_backend: bool) -> None:
    node._maelstrom_wire = wire
    node._maelstrom_tasks = tasks_backend
    if not tasks_backend:
        async_handlers = [
            name
            for name, _ in type(node)._maelstrom_handlers.values()
            if inspect.iscoroutinefunction(getattr(node, name))
        ]
        if async_handlers or inspect.iscoroutinefunction(node.setup):
            msg = f"{type(node).__name__} has async handlers {async_handlers}: use an asyncio or trio backend"
            raise TypeError(msg)


def _reader(source: Iterable[bytes], router: Any) -> threading.Thread:
    thread = threading.Thread(target=_read_lines, args=(source, router), name="maelstrom stdin", daemon=True)
    thread.start()
    return thread


async def _main_tasks(node: Node, wire: _Wire, source: Iterable[bytes]) -> object:
    handle = await tasks.start(node)
    router = await tasks.start(_Router(wire, handle))
    node._maelstrom_router = router
    _reader(source, router)
    reason = await router.join()
    try:
        await handle.stop()
    except (NoProc, ServerExited):
        return await handle.join()  # it had ended already: its reason is the program's
    return reason


def _main_threads(node: Node, wire: _Wire, source: Iterable[bytes]) -> object:
    handle = threads.start(node)
    router = threads.start(_Router(wire, handle))
    node._maelstrom_router = router
    _reader(source, router)
    reason = router.join()
    try:
        handle.stop()
    except (NoProc, ServerExited):
        return handle.join()  # it had ended already: its reason is the program's
    return reason


def run(
    node: type[Node] | Node,
    backend: str = "asyncio",
    *,
    stdin: Iterable[bytes] | None = None,
    stdout: IO[str] | None = None,
) -> None:
    """Run a node until stdin closes: the entry point of a Maelstrom node program.

    ``node`` is a `Node` subclass (made with no arguments) or an instance. ``backend`` is
    ``"asyncio"``, ``"trio"`` or ``"threads"``. Protocol messages go to ``stdout`` (default
    the real standard output), one JSON line each, flushed at once. While the node runs,
    ``sys.stdout`` points at standard error, so a stray ``print`` cannot corrupt the
    protocol; logs go through loguru, whose default sink is standard error (this function
    adds no sink).

    JSON integers have no size limit in Maelstrom, so while the node runs Python's limit on
    converting integers to and from text (``sys.set_int_max_str_digits``, 4300 digits by
    default) is lifted for the whole process, as ``sys.stdout`` is redirected; both are
    restored on return. The node program is this process, and its input comes from the
    test harness.

    Raises:
        ValueError: ``backend`` is not one of the three.
        TypeError: a handler is ``async def`` and the backend is ``"threads"``.
        SystemExit: with status 1 when the node crashed.
    """
    if backend not in BACKENDS:
        msg = f"backend must be one of {BACKENDS}, not {backend!r}"
        raise ValueError(msg)
    instance = node() if isinstance(node, type) else node
    source: Iterable[bytes] = stdin if stdin is not None else sys.stdin.buffer
    real_stdout = sys.stdout
    wire = _Wire(stdout if stdout is not None else real_stdout)
    _prepare(instance, wire, tasks_backend=backend != "threads")
    digits = sys.get_int_max_str_digits()
    sys.stdout = sys.stderr
    sys.set_int_max_str_digits(0)
    try:
        if backend == "threads":
            reason = threads.run(_main_threads, instance, wire, source)
        else:
            reason = tasks.run(_main_tasks, instance, wire, source, backend=backend)
    finally:
        sys.set_int_max_str_digits(digits)
        sys.stdout = real_stdout
    if reason != "normal":
        logger.error("maelstrom: the node ended with {!r}", reason)
        raise SystemExit(1)


def main(node: type[Node] | Node, argv: list[str] | None = None) -> None:
    """Parse ``--backend asyncio|trio|threads`` (default asyncio) from ``argv`` and `run` the node."""
    parser = argparse.ArgumentParser(description=f"Maelstrom node {getattr(node, '__name__', node)}")
    parser.add_argument("--backend", choices=BACKENDS, default="asyncio")
    run(node, parser.parse_args(argv).backend)
