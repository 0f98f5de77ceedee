"""What is running, for a person debugging: process records and a supervision-tree view.

:class:`ProcessInfo` and :class:`ProcessTree` are plain values with plain formatting; the
functions at the end take a snapshot of a runtime to make them. ``rich`` is used for
:meth:`ProcessTree.print` when it is installed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Hashable, Iterator
from typing import IO, TYPE_CHECKING, Any, Literal

from attrs import evolve, frozen

from ._supervisor_process import RootCore, SupervisorCore

if TYPE_CHECKING:
    from ._process import ProcessCore
    from ._runtime import RuntimeCore

RunStatus = Literal["running", "exited", "restarting", "not running"]
Kind = Literal["worker", "supervisor"]


@frozen
class ProcessInfo:
    """A snapshot of one process (or of a supervisor's child that is not running).

    Made by ``runtime.processes()`` and ``runtime.tree()``; the process may have changed
    since.
    """

    label: str
    """How logs and errors name the process: ``Bank 'bank'``, or ``Bank#3`` when unnamed."""
    server: str
    """The server's class name."""
    name: object
    """The name it was started under, or ``None``."""
    status: RunStatus
    """``"running"`` or ``"exited"``; for a supervisor's child that has no process,
    ``"restarting"`` (due to start again, in a restart) or ``"not running"``."""
    mailbox: int
    """Messages waiting in its mailbox."""
    kind: Kind = "worker"
    """``"supervisor"`` for supervisors, else ``"worker"``."""
    child_id: Hashable | None = None
    """Its id under its supervisor; ``None`` at top level and for a running child of a
    ``DynamicSupervisor`` (whose ids are its own), which a not-running one shows by its spec's id."""
    restarts: int | None = None
    """For a supervisor: its recent restarts, the ones that count toward its intensity limit."""
    children: tuple[ProcessInfo, ...] = ()
    """For a supervisor in a tree view: its children, in start order."""

    def describe(self) -> str:
        """One line: id, label, kind, status, mailbox and restarts."""
        head = self.label
        if self.child_id is not None:
            head = f"{self.child_id}: {head}" if head else str(self.child_id)
        facts: list[str] = [self.kind, self.status]
        if self.status == "running":
            facts.append(f"mailbox {self.mailbox}")
        if self.restarts is not None:
            facts.append(f"restarts {self.restarts}")
        return f"{head} ({', '.join(facts)})"

    def walk(self) -> Iterator[ProcessInfo]:
        """This record and every record below it, depth first, in start order."""
        yield self
        for child in self.children:
            yield from child.walk()


@frozen
class ProcessTree:
    """A runtime's processes as a supervision tree: ``print(tree)`` shows it as text.

    ``roots`` are the top-level processes in start order; supervisors hold their children.
    """

    roots: tuple[ProcessInfo, ...]

    def __str__(self) -> str:
        lines: list[str] = []
        for root in self.roots:
            lines.append(root.describe())
            _draw(root.children, "", lines)
        return "\n".join(lines) if lines else "(no processes)"

    def walk(self) -> Iterator[ProcessInfo]:
        """Every record in the tree, depth first, in start order."""
        for root in self.roots:
            yield from root.walk()

    def print(self, file: IO[str] | None = None) -> None:
        """Print the tree: with ``rich`` when it is installed, else as plain text."""
        try:  # rich is optional: imported by name so type checkers need not have it
            console: Any = importlib.import_module("rich.console")
            text: Any = importlib.import_module("rich.text")
            tree: Any = importlib.import_module("rich.tree")
        except ImportError:
            print(self, file=file or sys.stdout)
            return
        top = tree.Tree("processes", guide_style="dim")
        for root in self.roots:
            _grow(top, root, text.Text)
        console.Console(file=file).print(top)


def _draw(children: tuple[ProcessInfo, ...], prefix: str, lines: list[str]) -> None:
    for index, child in enumerate(children):
        last = index == len(children) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{child.describe()}")
        _draw(child.children, prefix + ("    " if last else "│   "), lines)


def _grow(branch: Any, info: ProcessInfo, text: Any) -> None:
    style = "bold" if info.kind == "supervisor" else ""
    if info.status != "running":
        style = "dim"
    node = branch.add(text(info.describe(), style=style))  # Text: names are never read as markup
    for child in info.children:
        _grow(node, child, text)


def snapshot(process: ProcessCore, child_id: Hashable | None = None) -> ProcessInfo:
    """A record of ``process`` as it is now (no lock: a debugging view, not a guarantee)."""
    server = process.server
    return ProcessInfo(
        label=process.label,
        server=process.options.kind or type(server).__name__,
        name=process.name,
        status="running" if process.alive else "exited",
        mailbox=process.mailbox_size() if process.alive else 0,
        kind="supervisor" if isinstance(server, SupervisorCore | RootCore) else "worker",
        child_id=child_id,
    )


def processes_of(runtime: RuntimeCore) -> list[ProcessInfo]:
    """Every live process of ``runtime``, in start order, each with its kind and its id under its
    supervisor (as in the tree, without the children).
    """
    with runtime.lock:
        live = list(runtime.live)
    records: dict[ProcessCore, ProcessInfo] = {}
    _place(runtime, live, records)
    return [evolve(records[p], children=()) if p in records else snapshot(p) for p in live]


def tree_of(runtime: RuntimeCore) -> ProcessTree:
    """The processes of ``runtime`` as a tree: each supervisor holds its children (running,
    restarting or not running), and processes that belong to no supervisor are roots of
    their own. A child a supervisor is starting right now (its ``init`` runs) is shown under
    that supervisor, in the place of the entry it restarts.
    """
    with runtime.lock:
        live = list(runtime.live)
    return ProcessTree(tuple(_place(runtime, live, {})))


def _place(
    runtime: RuntimeCore, live: list[ProcessCore], records: dict[ProcessCore, ProcessInfo]
) -> list[ProcessInfo]:
    """The roots among ``live``, each with its subtree; fills ``records`` for every process placed."""
    starting: dict[ProcessCore, list[ProcessCore]] = {}
    known: dict[ProcessCore, set[ProcessCore]] = {}
    for process in live:
        parent = process.parent
        supervisor = None if parent is None else parent.server
        if parent is not None and isinstance(supervisor, SupervisorCore | RootCore):
            if parent not in known:
                known[parent] = {e.process for e in supervisor.state.children}
            if process not in known[parent]:  # started, not yet recorded: its init is running
                starting.setdefault(parent, []).append(process)
    roots: list[ProcessInfo] = []
    for process in live:
        if process not in records and not _placed_below(process, starting):
            roots.append(_branch(process, None, records, starting, hide_ids=process is runtime.root))  # noqa: PERF401 - records grows as it goes
    return roots


def _placed_below(process: ProcessCore, starting: dict[ProcessCore, list[ProcessCore]]) -> bool:
    parent = process.parent
    return parent is not None and parent.alive and process in starting.get(parent, ())


def _branch(
    process: ProcessCore,
    child_id: Hashable | None,
    records: dict[ProcessCore, ProcessInfo],
    starting: dict[ProcessCore, list[ProcessCore]],
    *,
    hide_ids: bool = False,
) -> ProcessInfo:
    info = snapshot(process, child_id)
    records[process] = info
    server = process.server
    if not isinstance(server, SupervisorCore | RootCore):
        return info
    state = server.state
    hide_ids = hide_ids or (isinstance(server, SupervisorCore) and server.dynamic)  # made-up ids
    new = list(starting.get(process, ()))
    children: list[ProcessInfo] = []
    for entry in state.children:
        entry_id = None if hide_ids else entry.id
        child: ProcessCore | None = entry.process
        if child is None and entry.pending and new:
            child = new.pop(0)  # the replacement being started right now
        if child is not None:
            children.append(_branch(child, entry_id, records, starting))
        else:
            status: RunStatus = "restarting" if entry.pending else "not running"
            shown_id = entry.spec.id if entry_id is None else entry_id
            children.append(ProcessInfo("", "", entry.spec.name, status, 0, entry.kind, shown_id))
    children.extend(_branch(child, None, records, starting) for child in new)
    info = evolve(info, kind="supervisor", restarts=len(state.restarts), children=tuple(children))
    records[process] = info
    return info
