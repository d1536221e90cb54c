"""Named, versioned job configurations. Saving never edits a version: it adds the next one,
so a job's ``configuration_id`` always points at exactly the settings it started from."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import Conflict, NotFound
from genfactory.store.engine import WriteTx
from genfactory.store.jobs import new_id
from genfactory.store.tables import configurations, jobs


@dataclass(frozen=True)
class ConfigurationRecord:
    id: str
    name: str
    version: int
    description: str
    settings: dict[str, Any]
    created_at: float

    @classmethod
    def from_row(cls, row: Row[Any]) -> ConfigurationRecord:
        return cls(**dict(row._mapping))


class StaleVersion(Conflict):
    """A save based on a version that is no longer the newest: another client saved one
    since, and saving on top of it would silently undo that client's change."""

    def __init__(self, name: str, newest: int) -> None:
        super().__init__(
            f"“{name}” changed since you opened it: version {newest} was saved elsewhere. "
            "Load it, or save yours as a new version anyway."
        )
        self.newest = newest


async def save_configuration(
    tx: WriteTx,
    name: str,
    settings: dict[str, Any],
    description: str,
    *,
    new: bool,
    base_version: int | None = None,
) -> ConfigurationRecord:
    """``new=True`` creates version 1 (refused if the name exists); otherwise adds the next
    version of an existing name, refused when it would repeat the newest version: a version
    that changes nothing would only make the history longer. With ``base_version`` (the
    newest version the client knew of), refused with :class:`StaleVersion` when a newer one
    exists (optimistic concurrency: the read and the insert share the write transaction)."""
    latest = await _newest(tx.conn, name)
    if new and latest is not None:
        raise Conflict(f"A configuration named “{name}” exists; save a new version of it instead.")
    if new and (other := await _same_but_case(tx.conn, name)) is not None:
        raise Conflict(
            f"A configuration named “{other}” exists, which differs only in case; save a new "
            "version of it, or choose a name that differs in more than case."
        )
    if not new and latest is None:
        raise NotFound(f"No configuration named “{name}”.")
    if base_version is not None and latest is not None and latest.version != base_version:
        raise StaleVersion(name, latest.version)
    if latest is not None and latest.settings == settings and latest.description == description:
        raise Conflict(f"Nothing changed: version {latest.version} already has these settings.")
    record = ConfigurationRecord(
        id=new_id(),
        name=name,
        version=(latest.version if latest else 0) + 1,
        description=description,
        settings=settings,
        created_at=time.time(),
    )
    await tx.conn.execute(insert(configurations).values(**record.__dict__))
    return record


async def get_configuration(conn: AsyncConnection, config_id: str) -> ConfigurationRecord:
    row = (
        await conn.execute(select(configurations).where(configurations.c.id == config_id))
    ).first()
    if row is None:
        raise NotFound(f"No configuration with id “{config_id}”.")
    return ConfigurationRecord.from_row(row)


async def _newest(conn: AsyncConnection, name: str) -> ConfigurationRecord | None:
    row = (
        await conn.execute(
            select(configurations)
            .where(configurations.c.name == name)
            .order_by(configurations.c.version.desc())
            .limit(1)
        )
    ).first()
    return ConfigurationRecord.from_row(row) if row is not None else None


async def _names_but_case(conn: AsyncConnection, name: str, limit: int) -> list[str]:
    """Up to ``limit`` stored names equal to ``name`` but for case ("Alpha" for "alpha")."""
    rows = await conn.execute(
        select(configurations.c.name)
        .where(func.lower(configurations.c.name) == name.lower())
        .where(configurations.c.name != name)
        .distinct()
        .limit(limit)
    )
    return [str(row.name) for row in rows]


async def _same_but_case(conn: AsyncConnection, name: str) -> str | None:
    """An existing name equal to ``name`` but for case ("Alpha" for "alpha"): two such
    names read as one in a list and are easy to mix up on the command line."""
    found = await _names_but_case(conn, name, 1)
    return found[0] if found else None


async def _case_twin(conn: AsyncConnection, name: str) -> str | None:
    """The one stored name a lookup of a missing ``name`` refers to: the name equal to it
    but for case ("Portrait HQ" for "portrait hq"; names are unique regardless of case, see
    :func:`save_configuration`), or None when there is none, or several. Only lookups
    resolve so: a save or a delete names the configuration exactly."""
    found = await _names_but_case(conn, name, 2)
    return found[0] if len(found) == 1 else None


async def latest_by_name(conn: AsyncConnection, name: str) -> ConfigurationRecord:
    """The newest version of ``name`` (or of the one name equal to it but for case)."""
    latest = await _newest(conn, name)
    if latest is None and (twin := await _case_twin(conn, name)) is not None:
        latest = await _newest(conn, twin)
    if latest is None:
        raise NotFound(f"No configuration named “{name}”.")
    return latest


async def _versions(conn: AsyncConnection, name: str) -> list[ConfigurationRecord]:
    rows = await conn.execute(
        select(configurations)
        .where(configurations.c.name == name)
        .order_by(configurations.c.version.desc())
    )
    return [ConfigurationRecord.from_row(r) for r in rows]


async def versions(conn: AsyncConnection, name: str) -> list[ConfigurationRecord]:
    """Every version of ``name`` (or of the one name equal to it but for case), newest first."""
    found = await _versions(conn, name)
    if not found and (twin := await _case_twin(conn, name)) is not None:
        found = await _versions(conn, twin)
    if not found:
        raise NotFound(f"No configuration named “{name}”.")
    return found


async def list_latest(conn: AsyncConnection) -> list[tuple[ConfigurationRecord, int]]:
    """The newest version of each name, with how many jobs used any of its versions."""
    newest = (
        select(configurations.c.name, func.max(configurations.c.version).label("version"))
        .group_by(configurations.c.name)
        .subquery()
    )
    usage = (
        select(jobs.c.configuration_name, func.count().label("uses"))
        .where(jobs.c.configuration_name.is_not(None))
        .group_by(jobs.c.configuration_name)
        .subquery()
    )
    rows = await conn.execute(
        select(configurations, func.coalesce(usage.c.uses, 0).label("uses"))
        .join(
            newest,
            (newest.c.name == configurations.c.name)
            & (newest.c.version == configurations.c.version),
        )
        .outerjoin(usage, usage.c.configuration_name == configurations.c.name)
    )
    result = []
    for row in rows:
        mapping = dict(row._mapping)
        uses = int(mapping.pop("uses"))
        result.append((ConfigurationRecord(**mapping), uses))
    # Sorted here, not by the database: SQLite compares bytes and PostgreSQL its collation,
    # and every list of names (this one, the pages' selects) should read in one order.
    result.sort(key=lambda item: name_order(item[0].name))
    return result


def name_order(name: str) -> tuple[str, str]:
    """How configuration names sort everywhere: ignoring case, then exactly ("alpha" before
    "Beta"; "Alpha" before "alpha")."""
    return (name.casefold(), name)


async def delete_configuration(tx: WriteTx, name: str) -> int:
    """Delete every version of ``name``; refused while any job refers to it."""
    used = (
        await tx.conn.execute(
            select(func.count()).select_from(jobs).where(jobs.c.configuration_name == name)
        )
    ).scalar_one()
    if used:
        raise Conflict(
            f"Configuration “{name}” is used by {used} job{'s' if used != 1 else ''}; "
            "it can be deleted once no job refers to it."
        )
    result = await tx.conn.execute(delete(configurations).where(configurations.c.name == name))
    if not result.rowcount:
        raise NotFound(f"No configuration named “{name}”.")
    return int(result.rowcount)
