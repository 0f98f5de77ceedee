"""Key tables: who holds which key, with which value. Pure data; no lock, no clock.

One :class:`KeyTable` backs both the runtime's own name table (unique keys, no values) and
every user :class:`~spawned.Registry`. The table never decides liveness and never blocks:
its owner (a runtime or a registry) takes its lock around the writers and removes an owner
when that process exits.

Readers (``lookup``, ``keys_of``, ``holder``) are safe without the lock: they read a key's
entries through one ``dict.copy()``, which is atomic (owners hash by identity, so no Python
code runs while it copies), and never see a half-made change.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, Literal, TypeVar

OwnerT = TypeVar("OwnerT", bound=Hashable)
"""The owner of an entry: a process in the runtime, any hashable in tests."""

Keys = Literal["unique", "duplicate"]
KEY_KINDS: tuple[Keys, ...] = ("unique", "duplicate")


class KeyTable(Generic[OwnerT]):
    """Entries ``(key, owner, value)``, indexed both by key and by owner.

    ``unique``: a key has at most one entry. ``duplicate``: a key has any number of
    entries, and one owner may hold the same key several times (as in Elixir). Entries of
    a key are grouped by owner, owners in the order they first registered it.
    """

    __slots__ = ("_by_key", "_by_owner", "size", "unique")

    def __init__(self, keys: Keys) -> None:
        if keys not in KEY_KINDS:
            msg = f"keys must be 'unique' or 'duplicate', got {keys!r}"
            raise ValueError(msg)
        self.unique = keys == "unique"
        self._by_key: dict[object, dict[OwnerT, tuple[object, ...]]] = {}
        self._by_owner: dict[OwnerT, dict[object, None]] = {}
        self.size = 0
        """How many entries the table holds."""

    # -- writers (the caller holds its lock) ------------------------------------------------

    def register(self, key: object, owner: OwnerT, value: object = None) -> OwnerT | None:
        """Add the entry ``(key, owner, value)``.

        Returns ``None`` when added. On a unique table whose ``key`` is held, nothing
        changes and the holder comes back (which may be ``owner`` itself).
        """
        owners = self._by_key.get(key)
        if owners is None:
            owners = self._by_key[key] = {}
        elif self.unique:
            return next(iter(owners))
        owners[owner] = (*owners.get(owner, ()), value)
        self._by_owner.setdefault(owner, {})[key] = None
        self.size += 1
        return None

    def unregister(self, key: object, owner: OwnerT) -> int:
        """Remove every entry of ``owner`` under ``key``; returns how many there were."""
        owners = self._by_key.get(key)
        if owners is None or owner not in owners:
            return 0
        removed = len(owners.pop(owner))
        if not owners:
            del self._by_key[key]
        keys = self._by_owner[owner]
        del keys[key]
        if not keys:
            del self._by_owner[owner]
        self.size -= removed
        return removed

    def drop(self, owner: OwnerT) -> list[object]:
        """Remove every entry of ``owner`` (it exited); returns the keys it held."""
        keys = list(self._by_owner.pop(owner, ()))
        for key in keys:
            owners = self._by_key[key]
            self.size -= len(owners.pop(owner))
            if not owners:
                del self._by_key[key]
        return keys

    # -- readers (safe without the lock) --------------------------------------------------

    def lookup(self, key: object) -> list[tuple[OwnerT, object]]:
        """Every entry under ``key`` as ``(owner, value)``, oldest owner first."""
        owners = self._by_key.get(key)
        if owners is None:
            return []
        return [(owner, value) for owner, values in owners.copy().items() for value in values]

    def holder(self, key: object) -> OwnerT | None:
        """The first owner of ``key``, or ``None`` (on a unique table: the only one)."""
        owners = self._by_key.get(key)
        if not owners:
            return None
        try:
            return next(iter(owners.copy()))
        except StopIteration:
            return None

    def keys_of(self, owner: OwnerT) -> list[object]:
        """The keys ``owner`` holds, one per entry (as Elixir's ``Registry.keys``: a key
        registered twice comes twice), in the order it first registered them.
        """
        keys = self._by_owner.get(owner)
        if keys is None:
            return []
        held: list[object] = []
        for key in keys.copy():
            owners = self._by_key.get(key)
            held.extend([key] * len(owners.get(owner, ()) if owners is not None else ()))
        return held

    def __contains__(self, owner: object) -> bool:
        return owner in self._by_owner
