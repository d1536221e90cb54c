"""Server-side preferences: one JSON object per group (``defaults``, ``exports``), shared by
every browser and the CLI. The API validates the values; this module only stores them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.store.engine import WriteTx
from genfactory.store.tables import preferences


@dataclass(frozen=True)
class PreferenceRecord:
    key: str
    value: dict[str, Any]
    updated_at: float

    @classmethod
    def from_row(cls, row: Row[Any]) -> PreferenceRecord:
        return cls(key=row.key, value=dict(row.value or {}), updated_at=row.updated_at)


async def read_preferences(conn: AsyncConnection) -> dict[str, PreferenceRecord]:
    """Every stored group by its key (a group never saved is absent)."""
    rows = await conn.execute(select(preferences))
    return {row.key: PreferenceRecord.from_row(row) for row in rows}


async def read_group(conn: AsyncConnection, key: str) -> PreferenceRecord | None:
    row = (await conn.execute(select(preferences).where(preferences.c.key == key))).first()
    return PreferenceRecord.from_row(row) if row is not None else None


async def save_group(tx: WriteTx, key: str, value: dict[str, Any]) -> PreferenceRecord:
    """Replace a group's value (insert or update in one statement, so two first saves at
    the same time cannot collide on the key)."""
    record = PreferenceRecord(key, value, time.time())
    # Both dialects spell the upsert the same way; only the construct's module differs.
    insert = postgresql.insert if tx.conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(preferences).values(key=key, value=value, updated_at=record.updated_at)
    await tx.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[preferences.c.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )
    return record
