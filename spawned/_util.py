"""Small helpers shared by the whole package: private constructors and public names."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class NoPublicConstructor(type):
    """Metaclass for objects only the runtime makes (handles, callers, refs, timers).

    Calling the class raises `TypeError`; the runtime uses ``cls._create(...)``.
    """

    def __call__(cls, *_args: object, **_kwargs: object) -> NoReturn:
        msg = (
            f"{cls.__module__}.{cls.__qualname__} has no public constructor; the runtime makes these for you"
        )
        raise TypeError(msg)

    def _create(cls: type[T], *args: Any, **kwargs: Any) -> T:
        return type.__call__(cls, *args, **kwargs)  # what calling the class would do


def check_hashable(value: object, what: str) -> None:
    """Raise ``TypeError`` naming ``what`` and ``value`` unless ``value`` can be hashed
    (a name, a registry key, a child id: each is looked up as a ``dict`` key is).
    """
    try:
        hash(value)
    except TypeError:
        msg = f"{what} must be hashable (looked up as a dict key), got {value!r} ({type(value).__name__})"
        raise TypeError(msg) from None


def fixup_module_metadata(module_name: str, namespace: dict[str, Any]) -> None:
    """Make the public names of ``namespace`` report ``module_name`` as their module.

    Tracebacks and reprs then say ``spawned.CallTimeout``, not ``spawned._errors.CallTimeout``.
    """
    seen: set[int] = set()

    def fix_one(qualname: str, obj: Any) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        mod = getattr(obj, "__module__", None)
        if mod is not None and mod.startswith("spawned."):
            obj.__module__ = module_name
            if isinstance(obj, type):
                obj.__qualname__ = qualname
                for attr_name, attr_value in obj.__dict__.items():
                    fix_one(f"{qualname}.{attr_name}", attr_value)

    for objname in namespace.get("__all__", ()):
        if not objname.startswith("_"):
            fix_one(objname, namespace[objname])
