"""The public surface: exports, their module names, docstrings, and no public constructors."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from types import ModuleType

import pytest

import spawned
from spawned import tasks, testing, threads

PUBLIC_MODULES = [
    "spawned",
    "spawned.tasks",
    "spawned.threads",
    "spawned.testing",
    "spawned.maelstrom",
    "spawned.maelstrom.harness",
    "spawned.telemetry",
    "spawned.telemetry.otel",
    "spawned.cluster",
]


def _public(module: ModuleType) -> list[tuple[str, object]]:
    return [(name, getattr(module, name)) for name in module.__all__]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_lists_exactly_the_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    defined = {n for n in vars(module) if n[0].isalpha()} - {
        "annotations",  # from __future__
        *(m.rsplit(".", 1)[-1] for m in PUBLIC_MODULES),  # subpackages are attributes once imported
    }
    assert defined == set(module.__all__)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert inspect.getdoc(module)
    missing = [name for name, obj in _public(module) if callable(obj) and not inspect.getdoc(obj)]
    assert not missing
    for name, obj in _public(module):
        if inspect.isclass(obj):
            undocumented = [
                member
                for member, value in vars(obj).items()
                if not member.startswith("_") and callable(value) and not inspect.getdoc(value)
            ]
            assert not undocumented, f"{name}: {undocumented}"


@pytest.mark.parametrize(
    "module_name", ["spawned", "spawned.tasks", "spawned.threads", "spawned.maelstrom", "spawned.cluster"]
)
def test_public_names_report_their_public_module(module_name: str) -> None:
    module = importlib.import_module(module_name)
    wrong = {
        name: obj.__module__
        for name, obj in _public(module)
        if hasattr(obj, "__module__") and obj.__module__ != module_name
    }
    assert not wrong


def test_tasks_and_threads_export_the_same_names() -> None:
    assert tasks.__all__ == threads.__all__


def test_tasks_and_threads_handles_have_the_same_methods() -> None:
    def methods(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert methods(tasks.Handle) == methods(threads.Handle)
    shared = {"start", "whereis", "processes", "tree", "shutdown"}
    assert shared <= methods(tasks.Runtime)
    assert shared <= methods(threads.Runtime)


@pytest.mark.parametrize(
    "cls", [tasks.Handle, threads.Handle, spawned.HandleBase, spawned.Caller, spawned.Ref]
)
def test_runtime_made_objects_have_no_public_constructor(cls: type) -> None:
    with pytest.raises(TypeError, match="has no public constructor"):
        cls()


def test_errors_are_spawned_errors() -> None:
    errors = [obj for _, obj in _public(spawned) if inspect.isclass(obj) and issubclass(obj, Exception)]
    assert len(errors) >= 8
    assert all(issubclass(e, spawned.SpawnedError) for e in errors)


def test_testing_exports_the_runtime_adapter() -> None:
    assert {"TestRuntime", "TestHandle", "open_test_runtime", "BACKENDS"} <= set(testing.__all__)
    assert testing.BACKENDS == ("asyncio", "trio", "threads")


def test_version_is_the_installed_distributions() -> None:
    assert spawned.__version__ == importlib.metadata.version("spawned")
