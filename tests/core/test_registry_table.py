"""KeyTable: unique and duplicate keys, driven directly with plain owners."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spawned._keytable import KeyTable


def test_unique_key_is_held_by_one_owner() -> None:
    table: KeyTable[str] = KeyTable("unique")
    assert table.register("k", "a", 1) is None
    assert table.register("k", "b", 2) == "a"
    assert table.register("k", "a", 3) == "a"
    assert table.lookup("k") == [("a", 1)]
    assert table.holder("k") == "a"
    assert table.size == 1


def test_duplicate_keys_keep_every_entry_grouped_by_owner() -> None:
    table: KeyTable[str] = KeyTable("duplicate")
    assert table.register("k", "a", 1) is None
    assert table.register("k", "b", 2) is None
    assert table.register("k", "a", 3) is None
    assert table.lookup("k") == [("a", 1), ("a", 3), ("b", 2)]
    assert table.size == 3


def test_keys_of_lists_a_key_once_per_entry() -> None:
    table: KeyTable[str] = KeyTable("duplicate")
    table.register("k", "a", 1)
    table.register("j", "a", 2)
    table.register("k", "a", 3)
    assert table.keys_of("a") == ["k", "k", "j"]


@pytest.mark.parametrize(
    ("keys", "ops", "lookup", "size", "keys_of_a"),
    [
        ("unique", [("reg", "k", "a"), ("unreg", "k", "a")], [], 0, []),
        ("unique", [("reg", "k", "a"), ("unreg", "k", "b")], [("a", None)], 1, ["k"]),
        ("unique", [("reg", "k", "a"), ("drop", None, "a"), ("reg", "k", "b")], [("b", None)], 1, []),
        ("duplicate", [("reg", "k", "a"), ("reg", "k", "a"), ("unreg", "k", "a")], [], 0, []),
        ("duplicate", [("reg", "k", "a"), ("reg", "j", "a"), ("drop", None, "a")], [], 0, []),
        (
            "duplicate",
            [("reg", "j", "a"), ("reg", "k", "a"), ("reg", "k", "b")],
            [("a", None), ("b", None)],
            3,
            ["j", "k"],
        ),
    ],
)
def test_operation_table(
    keys: str, ops: list[tuple[str, str | None, str]], lookup: list[object], size: int, keys_of_a: list[str]
) -> None:
    table: KeyTable[str] = KeyTable(keys)  # type: ignore[arg-type]
    for op, key, owner in ops:
        if op == "reg":
            table.register(key, owner)
        elif op == "unreg":
            table.unregister(key, owner)
        else:
            table.drop(owner)
    assert table.lookup("k") == lookup
    assert table.size == size
    assert table.keys_of("a") == keys_of_a
    assert ("a" in table) == bool(keys_of_a)


def test_unregister_and_drop_report_what_they_removed() -> None:
    table: KeyTable[str] = KeyTable("duplicate")
    table.register("k", "a")
    table.register("k", "a")
    table.register("j", "a")
    assert table.unregister("k", "a") == 2
    assert table.unregister("k", "a") == 0
    assert table.drop("a") == ["j"]
    assert table.drop("a") == []
    assert table.holder("j") is None


def test_bad_keys_kind_names_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"'unique' or 'duplicate', got 'many'"):
        KeyTable("many")  # type: ignore[arg-type]


owners = st.sampled_from("abcd")
key_names = st.sampled_from("xyz")
operations = st.lists(
    st.tuples(st.sampled_from(["reg", "unreg", "drop"]), key_names, owners, st.integers(0, 9)), max_size=40
)


@given(keys=st.sampled_from(["unique", "duplicate"]), ops=operations)
def test_matches_a_list_model(keys: str, ops: list[tuple[str, str, str, int]]) -> None:
    table: KeyTable[str] = KeyTable(keys)  # type: ignore[arg-type]
    model: list[tuple[str, str, int]] = []  # (key, owner, value) in registration order
    for op, key, owner, value in ops:
        if op == "reg":
            held = [o for k, o, _ in model if k == key]
            result = table.register(key, owner, value)
            if keys == "unique" and held:
                assert result == held[0]
            else:
                assert result is None
                model.append((key, owner, value))
        elif op == "unreg":
            assert table.unregister(key, owner) == sum(1 for k, o, _ in model if (k, o) == (key, owner))
            model = [e for e in model if (e[0], e[1]) != (key, owner)]
        else:
            table.drop(owner)
            model = [e for e in model if e[1] != owner]
        assert table.size == len(model)
        for k in "xyz":
            by_owner: dict[str, list[int]] = {}
            for mk, mo, mv in model:
                if mk == k:
                    by_owner.setdefault(mo, []).append(mv)
            assert table.lookup(k) == [(o, v) for o, vs in by_owner.items() for v in vs]
        for o in "abcd":
            assert sorted(map(str, table.keys_of(o))) == sorted(k for k, mo, _ in model if mo == o)
