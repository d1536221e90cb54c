"""A driver for SQLAlchemy's ``aiosqlite`` dialect that runs SQLite on the event loop's
own thread.

Why: aiosqlite runs every call (execute, fetch, close, commit) on a worker thread and wakes
the event loop when it is done, so one statement costs four thread hand-offs and event-loop
round trips — about 110 per job in ``bench/dispatch.py``, most of the engine's CPU. The write
path only runs short statements on a local file, serialised by the database's write lock,
each taking a few microseconds once the transaction holds SQLite's write lock; running them
inline is far cheaper than handing them off.

What keeps the event loop responsive:

* The connection's busy timeout is 0: when another *process* holds the write lock,
  ``BEGIN IMMEDIATE`` (or any statement) fails at once with ``SQLITE_BUSY`` and this driver
  waits with ``asyncio.sleep`` — backing off up to :data:`MAX_BACKOFF` — until the lock is
  free or :data:`BUSY_TIMEOUT` passes. It never blocks the thread waiting for a lock.
* Readers never block a WAL writer, and statements are short. Work that may run for long
  (bulk deletes of many thousands of jobs) uses the thread-offloaded engine instead
  (``Database.write(offload=True)``).

The module has the attributes SQLAlchemy's aiosqlite adapter reads from ``aiosqlite``:
``connect``, ``Connection`` and the DB-API exceptions. Pass it through
:func:`dbapi` to ``create_async_engine("sqlite+aiosqlite://…", module=dbapi())``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

#: How long a statement waits for another process's write lock before failing.
BUSY_TIMEOUT = 15.0
#: The longest pause between two tries.
MAX_BACKOFF = 0.05

DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info

T = TypeVar("T")


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


async def _retry_busy(call: Callable[[], T]) -> T:
    """``call()``, tried again (without blocking the thread) while SQLite says it is busy."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not _busy(error):
            raise
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.001
    while True:
        await asyncio.sleep(pause)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() >= deadline:
                raise
        pause = min(pause * 2, MAX_BACKOFF)


class Cursor:
    """An aiosqlite-style cursor over a :class:`sqlite3.Cursor`."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        await _retry_busy(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)
        await _retry_busy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue: SQLAlchemy's adapter puts ``(future,
    function)`` pairs on it to set the isolation level; run them at once."""

    def __init__(self) -> None:
        self.daemon = True  # read as ``connection._thread.daemon`` by the adapter

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class Connection:
    """An aiosqlite-style connection whose calls run on the calling thread."""

    def __init__(self, database: str, **kwargs: Any) -> None:
        self._database = database
        self._kwargs = kwargs
        self._conn: sqlite3.Connection | None = None
        self._tx = _RunNow()
        self._thread = self._tx

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def _open(self) -> Connection:
        # The busy timeout is ours (see _retry_busy): never wait inside SQLite.
        self._kwargs["timeout"] = 0
        self._kwargs["check_same_thread"] = False
        self._conn = sqlite3.connect(self._database, **self._kwargs)
        return self

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open at the SQLite level (as aiosqlite's)."""
        return self._conn is not None and self._conn.in_transaction

    def cursor(self) -> Cursor:
        return Cursor(self._live().cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _retry_busy(self._live().commit)

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._live().isolation_level = value  # type: ignore[assignment]


def connect(database: str, **kwargs: Any) -> Connection:
    return Connection(database, **kwargs)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DB-API module to pass as ``module=`` to ``create_async_engine``."""
    import sys

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
