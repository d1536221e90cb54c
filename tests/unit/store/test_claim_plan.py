"""The claim query walks the queue in order instead of sorting it (SQLite's plan)."""

from __future__ import annotations

from genfactory.store.engine import Database
from genfactory.store.jobs import _CLAIM


async def test_claiming_never_sorts_the_queue(sqlite_db: Database) -> None:
    async with sqlite_db.read() as conn:
        compiled = _CLAIM[False].compile(dialect=conn.dialect)
        params = compiled.construct_params({"now": 1.0})
        ordered = [params[name] for name in compiled.positiontup or ()]
        raw = await conn.get_raw_connection()
        cursor = await raw.driver_connection.execute(
            f"EXPLAIN QUERY PLAN {compiled.string}", ordered
        )
        plan = " / ".join(row[3] for row in await cursor.fetchall())
    assert "TEMP B-TREE" not in plan, plan
    assert "ix_jobs_status_created" in plan, plan
