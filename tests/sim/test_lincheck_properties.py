"""Properties: histories of a real atomic object are always linearizable, whatever the
interleaving, timeouts and failures; and on small random histories the checker agrees with
brute force (every order of every subset of the timed-out operations).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from spawned.sim.lincheck import (
    UNKNOWN,
    Add,
    Append,
    Cas,
    CasKey,
    CasRegister,
    Contains,
    Counter,
    Dequeue,
    Enqueue,
    Get,
    History,
    Increment,
    KeyValue,
    Model,
    Operation,
    Put,
    Queue,
    Read,
    Register,
    Remove,
    Set,
    Write,
    check,
)

VALUES = st.integers(0, 3)
KEYS = st.sampled_from("xy")
OPS: dict[str, tuple[Model[Any], st.SearchStrategy[Any]]] = {
    "register": (Register(initial=0), st.one_of(st.builds(Read), st.builds(Write, VALUES))),
    "cas": (
        CasRegister(initial=0),
        st.one_of(st.builds(Read), st.builds(Write, VALUES), st.builds(Cas, VALUES, VALUES)),
    ),
    "kv": (
        KeyValue(initial=""),
        st.one_of(
            st.builds(Get, KEYS),
            st.builds(Put, KEYS, st.sampled_from(["a", "b"])),
            st.builds(Append, KEYS, st.sampled_from(["a", "b"])),
            st.builds(CasKey, KEYS, st.sampled_from(["", "a", "b"]), st.sampled_from(["a", "b"])),
        ),
    ),
    "counter": (Counter(), st.one_of(st.builds(Read), st.builds(Increment, st.integers(1, 2)))),
    "set": (
        Set(),
        st.one_of(
            st.builds(Read), st.builds(Add, VALUES), st.builds(Remove, VALUES), st.builds(Contains, VALUES)
        ),
    ),
    "queue": (Queue(), st.one_of(st.builds(Read), st.builds(Enqueue, VALUES), st.builds(Dequeue))),
}


class Atomic:
    """A real object, written independently of the models: applies one operation at once."""

    def __init__(self) -> None:
        self.register: Any = 0
        self.counter = 0
        self.items: set[Any] = set()
        self.queue: list[Any] = []
        self.map: dict[Any, str] = {}

    def apply(self, kind: str, op: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case per operation
        match kind, op:
            case "register" | "cas", Read():
                return self.register
            case "register" | "cas", Write(value):
                self.register = value
            case "cas", Cas(expected, new):
                if self.register != expected:
                    return False
                self.register = new
                return True
            case "kv", Get(key):
                return self.map.get(key, "")
            case "kv", Put(key, value):
                self.map[key] = value
            case "kv", Append(key, value):
                self.map[key] = self.map.get(key, "") + value
            case "kv", CasKey(key, expected, new):
                if self.map.get(key, "") != expected:
                    return False
                self.map[key] = new
                return True
            case "counter", Increment(by):
                self.counter += by
                return self.counter
            case "counter", Read():
                return self.counter
            case "set", Add(item):
                self.items.add(item)
            case "set", Remove(item):
                self.items.discard(item)
            case "set", Contains(item):
                return item in self.items
            case "set", Read():
                return sorted(self.items)
            case "queue", Enqueue(item):
                self.queue.append(item)
            case "queue", Dequeue():
                return self.queue.pop(0) if self.queue else None
            case "queue", Read():
                return list(self.queue)
            case _:
                raise AssertionError((kind, op))
        return None


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(OPS)), data=st.data())
def test_a_sequential_history_is_always_linearizable(kind: str, data: st.DataObject) -> None:
    model, ops = OPS[kind]
    obj = Atomic()
    history = History()
    for op in data.draw(st.lists(ops, max_size=30)):
        client = data.draw(st.sampled_from("abc"))
        token = history.invoke(client, op)
        history.ok(token, obj.apply(kind, op))
    result = check(history, model)
    assert result.ok, result.report()


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(OPS)), data=st.data())
def test_an_atomic_object_s_concurrent_history_is_always_linearizable(kind: str, data: st.DataObject) -> None:
    """Each operation takes effect at one moment between its invocation and its end; a
    timed-out one may or may not have, a failed one has not.
    """
    model, ops = OPS[kind]
    obj = Atomic()
    history = History()
    running: dict[str, tuple[int, Any, bool, Any]] = {}  # client -> (token, op, applied, result)
    for _ in range(data.draw(st.integers(0, 40))):
        client = data.draw(st.sampled_from("abcd"))
        if client not in running:
            op = data.draw(ops)
            running[client] = (history.invoke(client, op), op, False, None)
            continue
        token, op, applied, result = running[client]
        if not applied:
            action = data.draw(st.sampled_from(["apply", "apply", "fail", "timeout"]))
            if action == "apply":
                running[client] = (token, op, True, obj.apply(kind, op))
                continue
            del running[client]
            if action == "fail":
                history.fail(token)
            else:
                history.timeout(token)
            continue
        del running[client]
        if data.draw(st.booleans()):
            history.ok(token, result)
        else:
            history.timeout(token)
    result = check(history, model)
    assert result.ok, result.report()


def brute_force(model: Model[Any], operations: tuple[Operation, ...]) -> bool:
    """Whether some order of the operations that returned plus some of those that did not,
    respecting real time, is accepted by the model one step at a time.
    """
    required = [o for o in operations if o.status == "ok"]
    optional = [o for o in operations if o.may_be_skipped]
    for n in range(len(optional) + 1):
        for chosen in itertools.combinations(optional, n):
            for order in itertools.permutations([*required, *chosen]):
                if not all(
                    not (b.complete_at is not None and b.complete_at < a.invoke_at)
                    for i, a in enumerate(order)
                    for b in order[i + 1 :]
                ):
                    continue
                state = model.init()
                for o in order:
                    legal, state = model.step(state, o.op, o.result if o.status == "ok" else UNKNOWN)
                    if not legal:
                        break
                else:
                    return True
    return False


@settings(max_examples=250, deadline=None)
@given(kind=st.sampled_from(["register", "cas", "queue", "counter", "set"]), data=st.data())
def test_the_checker_agrees_with_brute_force(kind: str, data: st.DataObject) -> None:
    model, ops = OPS[kind]
    results = st.one_of(VALUES, st.booleans(), st.none(), st.lists(VALUES, max_size=2))
    history = History()
    running: dict[str, int] = {}
    while len(history) < data.draw(st.integers(1, 5)) or running:
        client = data.draw(st.sampled_from("abc"))
        if client in running:
            token = running.pop(client)
            if data.draw(st.integers(0, 4)) == 0:
                history.timeout(token)
            else:
                history.ok(token, data.draw(results))
        elif len(history) < 5:
            running[client] = history.invoke(client, data.draw(ops))
        elif not running:
            break
    result = check(history, model)
    event(f"verdict {result.verdict}")
    assert result.ok == brute_force(model, history.operations), result.report()
