"""Saved filters of the job list, named and shared by everyone using the server."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import Conflict, NotFound
from genfactory.store.engine import WriteTx
from genfactory.store.jobs import new_id
from genfactory.store.tables import filter_presets


@dataclass(frozen=True)
class PresetRecord:
    id: str
    name: str
    filter: dict[str, Any]
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Row[Any]) -> PresetRecord:
        return cls(**dict(row._mapping))


async def list_presets(conn: AsyncConnection) -> list[PresetRecord]:
    rows = await conn.execute(select(filter_presets).order_by(filter_presets.c.name))
    return [PresetRecord.from_row(r) for r in rows]


async def create_preset(tx: WriteTx, name: str, filter_: dict[str, Any]) -> PresetRecord:
    """A new preset; refused (Conflict) when the name is taken."""
    taken = (
        await tx.conn.execute(select(filter_presets.c.id).where(filter_presets.c.name == name))
    ).first()
    if taken is not None:
        raise Conflict(f"A preset named {name!r} exists; delete it first or pick another name.")
    now = time.time()
    record = PresetRecord(new_id(), name, filter_, now, now)
    await tx.conn.execute(insert(filter_presets).values(**record.__dict__))
    return record


async def delete_preset(tx: WriteTx, preset_id: str) -> None:
    result = await tx.conn.execute(delete(filter_presets).where(filter_presets.c.id == preset_id))
    if not result.rowcount:
        raise NotFound(f"No preset with id {preset_id!r}.")
