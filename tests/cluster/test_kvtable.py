"""The mirrored JetStream bucket under the cluster registry and process groups: two nodes
are two connections to one embedded server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import nats
import pytest

from spawned.cluster import EmbeddedServer
from spawned.cluster._kvtable import KvTable, Record, Taken, bucket_name, decode_part, encode_part

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]


@asynccontextmanager
async def tables(*nodes: str, lease: float = 30.0) -> AsyncGenerator[list[KvTable]]:
    async with EmbeddedServer() as server:
        clients = [await nats.connect(**server.connect_options(), name=node) for node in nodes]
        opened = [
            await KvTable.open(c.jetstream(), "t", node, lease)
            for c, node in zip(clients, nodes, strict=True)
        ]
        try:
            yield opened
        finally:
            for table in opened:
                await table.close()
            for client in clients:
                await client.close()


async def until_seen(table: KvTable, key: str, present: bool) -> Record | None:
    seen = asyncio.Event()

    def check(changed: str, _record: Record | None) -> None:
        if changed == key and (table.get(key) is not None) == present:
            seen.set()

    table.on_change.append(check)
    try:
        if (table.get(key) is not None) != present:
            await asyncio.wait_for(seen.wait(), 10)
    finally:
        table.on_change.remove(check)
    return table.get(key)


async def test_a_key_is_created_once_across_nodes_and_seen_everywhere(anyio_backend: str) -> None:
    async with tables("a", "b") as (a, b):
        revision = await a.create("k", [1, "x"])
        assert a.get("k") == Record("a", [1, "x"], revision)
        with pytest.raises(Taken) as taken:
            await b.create("k", [2])
        assert taken.value.record == Record("a", [1, "x"], revision)
        assert await until_seen(b, "k", present=True) == Record("a", [1, "x"], revision)


async def test_a_released_key_leaves_every_mirror_and_can_be_taken_again(anyio_backend: str) -> None:
    async with tables("a", "b") as (a, b):
        revision = await a.create("k", None)
        await until_seen(b, "k", present=True)
        a.release_soon("k", revision)
        assert a.get("k") is None
        await until_seen(b, "k", present=False)
        assert (await b.create("k", "b's")) > revision


async def test_a_node_that_goes_down_loses_its_entries_everywhere(anyio_backend: str) -> None:
    async with tables("a", "b", "c") as (a, b, c):
        await a.create("mine", None)
        await b.create("theirs", None)
        await until_seen(c, "mine", present=True)
        await c.forget_node("a")
        assert c.get("mine") is None
        await until_seen(b, "mine", present=False)
        assert c.get("theirs") is not None
        await b.create("mine", "now b's")


async def test_a_delete_of_an_old_revision_keeps_the_new_holder(anyio_backend: str) -> None:
    async with tables("a", "b") as (a, b):
        old = await a.create("k", None)
        await a.delete("k", old)
        new = await b.create("k", None)
        await a.delete("k", old)
        await until_seen(a, "k", present=True)
        assert (await a.read("k")) == Record("b", None, new)


async def test_a_restarted_node_clears_what_its_previous_life_left(anyio_backend: str) -> None:
    async with EmbeddedServer() as server:
        client = await nats.connect(**server.connect_options())
        first = await KvTable.open(client.jetstream(), "t", "a")
        await first.create("stale", None)
        await first.close()
        again = await KvTable.open(client.jetstream(), "t", "a")
        assert again.get("stale") is None
        await again.create("stale", "fresh")
        await again.close()
        await client.close()


async def test_the_lease_expires_entries_nobody_renews(anyio_backend: str) -> None:
    async with tables("a", "b", lease=3.0) as (a, b):
        await a.create("k", None)
        await until_seen(b, "k", present=True)
        await a.close()  # a stops renewing: as if it died with nobody watching
        await until_seen(b, "k", present=False)


async def test_the_lease_keeps_renewed_entries(anyio_backend: str) -> None:
    async with tables("a", "b", lease=3.0) as (a, b):
        revision = await a.create("k", None)
        renewed = asyncio.Event()
        b.on_change.append(
            lambda _key, record: renewed.set() if record is not None and record.revision > revision else None
        )
        await asyncio.wait_for(renewed.wait(), 10)
        assert b.get("k") is not None


async def test_tokens_and_bucket_names_are_what_nats_accepts(anyio_backend: str) -> None:
    for text in ["", "a.b", "*", ">", "names with spaces", "ünï"]:
        part = encode_part(text)
        assert part.replace("-", "").replace("_", "").replace("=", "").isalnum() or part == "="
        assert decode_part(part) == text
    assert bucket_name("c", "names", "x.y") == "spawned_c_names_x-2e-y"


async def test_a_lease_shorter_than_the_minimum_is_refused(anyio_backend: str) -> None:
    with pytest.raises(ValueError, match="lease must be at least 3"):
        await KvTable.open(None, "t", "a", lease=1.0)  # type: ignore[arg-type]
