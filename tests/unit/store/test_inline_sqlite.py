"""SQLite writes run on the event loop's thread: a lock held by another process is waited
for with async sleeps (the loop keeps running), and given up after the busy timeout."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from genfactory.store import inline_sqlite
from genfactory.store.engine import Database


def _hold_write_lock(db_file: Path) -> sqlite3.Connection:
    other = sqlite3.connect(db_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO preferences (key, value, updated_at) VALUES ('x', '{}', 0)")
    return other


async def test_a_write_waits_for_another_process_without_blocking_the_loop(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = _hold_write_lock(tmp_path / "unit.db")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def write() -> int:
        async with sqlite_db.write() as tx:
            await tx.conn.execute(
                text("INSERT INTO preferences (key, value, updated_at) VALUES ('y', '{}', 1)")
            )
        return 1

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done(), "the write must wait for the other connection's lock"
    assert ticks >= 20, f"the event loop ran only {ticks} ticks while the write waited"
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(writer, 5) == 1
    ticker.cancel()
    async with sqlite_db.read() as conn:
        keys = (await conn.execute(text("SELECT key FROM preferences ORDER BY key"))).scalars()
        assert list(keys) == ["x", "y"]


async def test_a_write_gives_up_after_the_busy_timeout(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inline_sqlite, "BUSY_TIMEOUT", 0.2)
    other = _hold_write_lock(tmp_path / "unit.db")
    started = time.monotonic()
    try:
        with pytest.raises(Exception, match="locked"):
            async with sqlite_db.write() as tx:
                await tx.conn.execute(text("SELECT 1"))
        assert 0.2 <= time.monotonic() - started < 2
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The connection is usable again once the lock is free.
    async with sqlite_db.write() as tx:
        await tx.conn.execute(
            text("INSERT INTO preferences (key, value, updated_at) VALUES ('z', '{}', 2)")
        )


async def test_offloaded_writes_share_the_same_serialisation(sqlite_db: Database) -> None:
    order: list[str] = []

    async def write(name: str, offload: bool) -> None:
        async with sqlite_db.write(offload=offload) as tx:
            order.append(f"{name} begin")
            await asyncio.sleep(0.02)
            await tx.conn.execute(
                text("INSERT INTO preferences (key, value, updated_at) VALUES (:k, '{}', 0)"),
                {"k": name},
            )
            order.append(f"{name} end")

    await asyncio.gather(write("a", True), write("b", False), write("c", True))
    # Never two transactions open at once, whichever engine they use.
    assert order == [f"{n} {w}" for n in "abc" for w in ("begin", "end")]
