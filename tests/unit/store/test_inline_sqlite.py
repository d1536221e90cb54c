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


def _count_checkouts(db: Database) -> list[int]:
    from sqlalchemy import event

    checkouts = [0]

    def on_checkout(*_args: object) -> None:
        checkouts[0] += 1

    event.listen(db.write_engine.sync_engine.pool, "checkout", on_checkout)
    return checkouts


async def _preference_keys(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute(text("SELECT key FROM preferences ORDER BY key"))
        return [row.key for row in rows]


async def test_inline_writes_keep_one_connection_across_transactions(sqlite_db: Database) -> None:
    checkouts = _count_checkouts(sqlite_db)
    for n in range(10):
        async with sqlite_db.write() as tx:
            await tx.conn.execute(
                text("INSERT INTO preferences (key, value, updated_at) VALUES (:k, '{}', 0)"),
                {"k": f"k{n}"},
            )
    # Not checked out of the pool per transaction (that cost as much as the statements).
    assert checkouts[0] <= 1
    assert len(await _preference_keys(sqlite_db)) == 10


async def test_a_failed_transaction_is_rolled_back_and_the_next_one_works(
    sqlite_db: Database,
) -> None:
    with pytest.raises(RuntimeError):
        async with sqlite_db.write() as tx:
            await tx.conn.execute(
                text("INSERT INTO preferences (key, value, updated_at) VALUES ('lost', '{}', 0)")
            )
            raise RuntimeError("the caller changed its mind")
    async with sqlite_db.write() as tx:
        await tx.conn.execute(
            text("INSERT INTO preferences (key, value, updated_at) VALUES ('kept', '{}', 0)")
        )
    assert await _preference_keys(sqlite_db) == ["kept"]


async def test_a_transaction_left_open_underneath_is_not_reused(sqlite_db: Database) -> None:
    async with sqlite_db.write() as tx:
        raw = (await tx.conn.get_raw_connection()).driver_connection
    # Something left the kept connection inside a transaction (a rollback that failed).
    raw._conn.execute("BEGIN")  # type: ignore[union-attr]
    async with sqlite_db.write() as tx:
        await tx.conn.execute(
            text("INSERT INTO preferences (key, value, updated_at) VALUES ('fresh', '{}', 0)")
        )
        assert (await tx.conn.get_raw_connection()).driver_connection is not raw
    assert await _preference_keys(sqlite_db) == ["fresh"]
