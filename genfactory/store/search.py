"""Finding jobs: the filter, full-text search, sorting and the page query.

Everything here is answered by indexes (migration 0003), never by reading all jobs:

* **Search** matches words by prefix over the label and the prompt — SQLite through the
  FTS5 table ``jobs_fts``, PostgreSQL through the GIN index ``ix_jobs_search`` on the
  generated ``tsvector`` column ``jobs.search_vector`` — and a job id by prefix through the
  primary key. What the user
  typed is reduced to its words (letters and digits) before it reaches either query
  language, so quotes, ``*``, ``-``, ``NEAR``, parentheses, ``%`` or ``_`` are never syntax.
* **PostgreSQL's vocabulary** (``search_words``, migration 0008: every word of every job
  with the number of jobs containing it, kept exact by triggers) turns the last, prefix word
  into the whole words it stands for before the query runs (:func:`with_whole_words`): a
  GIN *partial match* costs about three times a lookup of the same word whole (60–80 ms
  against 20–25 ms for a word in 10 % of a million jobs). It also gives the total of a
  one-word search without counting its matches (:func:`count_search_only`).
* **Sorting** walks one index per sort key (``created_at``, status, label, duration, image
  count; each with ``created_at, id`` as tie-breakers), in either direction.
* **The page** is chosen by ids first (an index-only walk where possible), then the rows are
  read by primary key — a deep page does not drag whole rows through the offset.

How the page query walks depends on how many jobs match: a filter that keeps many jobs is
answered by walking the sort index and skipping the few that do not match; one that keeps
few is answered by finding those first and sorting them. PostgreSQL's planner makes that
choice from its statistics; SQLite, which has none unless ``ANALYZE`` ran, is steered
(:class:`Steering`, :func:`walk_sort_index`; the decisions are in ``job_list``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from genfactory.domain.statuses import JobStatus
from genfactory.store.jobs import JobRecord, prefix_range
from genfactory.store.tables import DURATION_SORT_KEY, LABEL_SORT_KEY, STATUS_SORT_KEY, jobs

#: PostgreSQL: the searchable text of a job, stored in the generated column
#: ``jobs.search_vector`` (migration 0003 copies this; ``tests/unit/store/test_search.py``
#: checks that the two agree).
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, regexp_replace("
    "coalesce(label, '') || ' ' || prompt, '[^[:alnum:]]+', ' ', 'g'))"
)

#: Objects migration 0003 creates outside ``tables.py`` (one database only); schema
#: comparisons leave them out.
DIALECT_ONLY_TABLES = frozenset(
    {
        "jobs_fts",
        "jobs_fts_data",
        "jobs_fts_idx",
        "jobs_fts_docsize",
        "jobs_fts_config",
        "search_words",
    }
)
DIALECT_ONLY_INDEXES = frozenset({"ix_jobs_search"})
DIALECT_ONLY_COLUMNS = frozenset({("jobs", "search_vector")})
#: PostgreSQL only: the generated column holding :data:`SEARCH_DOCUMENT`.
SEARCH_VECTOR: ColumnElement[Any] = literal_column("jobs.search_vector")
#: PostgreSQL only (migration 0008): each word of any job's ``search_vector`` and how many
#: jobs contain it (0 once they are all gone: rows are never deleted, so the words under a
#: prefix only ever grow). ``word`` sorts by code point.
search_words = table("search_words", column("word"), column("jobs"))

MAX_SEARCH_WORDS = 16
MAX_WORD_LENGTH = 64
#: A word of only hexadecimal digits this long or longer also matches job ids by prefix
#: (``short_id`` is 8); shorter ones would match ids by chance ("cafe", "bead").
MIN_ID_PREFIX = 6
#: A prefix standing for more whole words than this is searched as a prefix (a GIN partial
#: match): a long OR of words costs as much, and the two-letter prefixes of search-as-you-
#: type are the ones that stand for hundreds.
MAX_PREFIX_WORDS = 32

_WORD = re.compile(r"[^\W_]+")
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class SearchQuery:
    """What a search box string means: words that must all appear, or a job-id prefix.

    As in search-as-you-type boxes, the words typed before the last are whole words and the
    last one is the beginning of a word ("red fo" finds "red fox"), unless it is a single
    character. Whole words are also what both indexes answer fastest.
    """

    words: tuple[str, ...]
    id_prefix: str | None = None
    #: PostgreSQL, set by :func:`with_whole_words`: the whole words (with how many jobs
    #: contain each) that the last word stands for — itself if it is a whole word and some
    #: job has it, every known word it begins if it is a prefix. None: the query is used as
    #: typed.
    last_words: tuple[tuple[str, int], ...] | None = None

    def is_prefix(self, position: int) -> bool:
        return position == len(self.words) - 1 and len(self.words[position]) > 1

    @property
    def fts5(self) -> str:
        """An FTS5 MATCH expression: every word a quoted string, so never an operator."""
        return " ".join(
            f'"{w}"*' if self.is_prefix(n) else f'"{w}"' for n, w in enumerate(self.words)
        )

    @property
    def tsquery(self) -> str:
        """A ``to_tsquery`` expression: every word a quoted lexeme, joined by AND."""
        return " & ".join(
            f"'{w}':*" if self.is_prefix(n) else f"'{w}'" for n, w in enumerate(self.words)
        )

    def tsquery_of_words(self) -> str | None:
        """With ``last_words``: a ``tsquery`` literal naming whole lexemes only (the words
        are already what PostgreSQL's parser makes of them; see :func:`with_whole_words`).
        None when no job has the last word."""
        assert self.last_words is not None
        if not self.last_words:
            return None
        lexemes = [_lexeme(w) for w in self.words[:-1]]
        last = [_lexeme(w) for w, _jobs in self.last_words]
        lexemes.append(last[0] if len(last) == 1 else f"( {' | '.join(last)} )")
        return " & ".join(lexemes)

    def id_range(self) -> tuple[str, str] | None:
        """``[low, high)`` of the ids that start with ``id_prefix``."""
        return None if self.id_prefix is None else prefix_range(self.id_prefix)


def _lexeme(word: str) -> str:
    """A quoted ``tsquery`` lexeme, taken as it is (never split or lower-cased again)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def parse_search(raw: str | None) -> SearchQuery | None:
    """The words of ``raw`` (None when it is blank). Words are runs of letters and digits,
    lower-cased; everything else separates them. A string with no word at all gives a
    query that matches nothing."""
    if raw is None or not raw.strip():
        return None
    normalised = unicodedata.normalize("NFC", raw).lower()
    words: list[str] = []
    for word in _WORD.findall(normalised):
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
        if len(words) == MAX_SEARCH_WORDS:
            break
    id_prefix = None
    if len(words) == 1 and len(words[0]) >= MIN_ID_PREFIX and _HEX.fullmatch(words[0]):
        id_prefix = words[0][:32]
    return SearchQuery(tuple(words), id_prefix)


class SortKey(StrEnum):
    """What the job list can be sorted by. The values are the wire names."""

    CREATED = "created"
    LABEL = "label"
    STATUS = "status"
    DURATION = "duration"
    IMAGES = "images"


#: The index each sort key walks (every one ends in ``created_at, id``).
SORT_INDEXES: dict[SortKey, str] = {
    SortKey.CREATED: "ix_jobs_created",
    SortKey.LABEL: "ix_jobs_label_sort",
    SortKey.STATUS: "ix_jobs_status_sort",
    SortKey.DURATION: "ix_jobs_duration_sort",
    SortKey.IMAGES: "ix_jobs_image_count_sort",
}

_SORT_COLUMNS: dict[SortKey, ColumnElement[Any] | None] = {
    SortKey.CREATED: None,
    SortKey.LABEL: LABEL_SORT_KEY,
    SortKey.STATUS: STATUS_SORT_KEY,
    SortKey.DURATION: DURATION_SORT_KEY,
    SortKey.IMAGES: jobs.c.image_count,
}


@dataclass(frozen=True)
class JobFilter:
    """Which jobs: every given part must hold. Times are UNIX seconds,
    ``created_from <= created_at < created_to``."""

    statuses: tuple[JobStatus, ...] = ()
    created_from: float | None = None
    created_to: float | None = None
    configurations: tuple[str, ...] = ()
    search: SearchQuery | None = None
    ids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == JobFilter()

    @property
    def search_only(self) -> bool:
        return self.search is not None and self.without_search().is_empty

    def without_search(self) -> JobFilter:
        return replace(self, search=None)

    def with_range(self, start: float | None, end: float | None) -> JobFilter:
        return replace(self, created_from=start, created_to=end)

    def with_statuses(self, statuses: Sequence[JobStatus]) -> JobFilter:
        return replace(self, statuses=tuple(statuses))

    def created_until(self, as_of: float) -> JobFilter:
        """Also only jobs created at or before ``as_of`` (a list pinned to the moment it
        was first read): the range's exclusive end moves to just after it, if earlier."""
        end = math.nextafter(as_of, math.inf)
        return replace(
            self, created_to=end if self.created_to is None else min(self.created_to, end)
        )


@dataclass(frozen=True)
class Steering:
    """How SQLite should answer a query (PostgreSQL ignores it: its planner has statistics).

    ``walk`` walks the sort index and skips jobs that do not match (many match);
    otherwise the matches are collected and sorted, found through the full-text index
    first when ``by_search`` (the search keeps fewer jobs than the other filters), else
    through the other filters' indexes.
    """

    walk: bool = False
    by_search: bool = True
    #: Collect through the status index, every other term checked on the rows found (for
    #: the queued jobs: a live queue is short, whatever else the filter says).
    by_status: bool = False
    #: Starting from the filters: the rowids between which every job they keep lies, so
    #: only the full-text matches in that span are gathered (see ``stats.search_steering``).
    rowids: tuple[int, int] | None = None


def _unindexed(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQLite's unary ``+``: the same value, but no index may be used for it — the documented
    way to steer SQLite's planner away from an index."""
    return UnaryExpression(expression, operator=custom_op("+"), type_=expression.type)


def _nothing() -> ColumnElement[bool]:
    return literal_column("1") == literal_column("0")


def _matches(tsquery: str) -> ColumnElement[bool]:
    """PostgreSQL: the job's words match ``tsquery``, a literal of whole lexemes."""
    return SEARCH_VECTOR.op("@@")(cast(bindparam("words", tsquery, unique=True), TSQUERY))


def search_condition(
    conn: AsyncConnection,
    query: SearchQuery,
    *,
    hide_index: bool = False,
    rowids: tuple[int, int] | None = None,
) -> ColumnElement[bool]:
    """Jobs whose label/prompt contain every word (or whose id starts with the prefix).
    SQLite: ``hide_index`` keeps the planner from starting there; ``rowids`` bounds the
    full-text matches gathered (the jobs outside are known not to pass the other terms)."""
    id_range = query.id_range()
    if not query.words:
        return _nothing()
    if conn.dialect.name == "sqlite":
        sql = "SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH :fts"
        params: dict[str, Any] = {"fts": query.fts5}
        if rowids is not None:
            sql += " AND rowid BETWEEN :rowid_lo AND :rowid_hi"
            params.update(rowid_lo=rowids[0], rowid_hi=rowids[1])
        if id_range is not None:
            sql += " UNION SELECT rowid FROM jobs WHERE id >= :id_lo AND id < :id_hi"
            params.update(id_lo=id_range[0], id_hi=id_range[1])
        matches = text(sql).bindparams(**params).columns(column("rowid"))
        rowid: ColumnElement[Any] = literal_column("jobs.rowid")
        return (_unindexed(rowid) if hide_index else rowid).in_(matches)
    words: ColumnElement[bool] | None
    if query.last_words is None:
        words = SEARCH_VECTOR.op("@@")(
            func.to_tsquery(
                literal_column("'simple'::regconfig"),
                bindparam("tsquery", query.tsquery, unique=True),
            )
        )
    else:
        whole = query.tsquery_of_words()
        words = None if whole is None else _matches(whole)
    if id_range is None:
        return _nothing() if words is None else words
    in_range = and_(jobs.c.id >= id_range[0], jobs.c.id < id_range[1])
    return in_range if words is None else or_(words, in_range)


def filter_conditions(
    conn: AsyncConnection,
    f: JobFilter,
    *,
    steering: Steering | None = None,
    sort: SortKey = SortKey.CREATED,
) -> list[ColumnElement[bool]]:
    """The WHERE clause of ``f``. On SQLite, ``steering`` hides from the planner the terms
    whose indexes it must not use (see :class:`Steering`); a date range stays usable when
    the walked index is ``created_at``'s own."""
    sqlite = steering is not None and conn.dialect.name == "sqlite"
    by_status = sqlite and steering is not None and steering.by_status
    hide_filters = sqlite and steering is not None and (steering.walk or steering.by_search)
    hide_search = sqlite and steering is not None and (steering.walk or not steering.by_search)
    if sqlite and steering is not None and not steering.walk and f.search is None:
        hide_filters = False
    if by_status:
        hide_filters = hide_search = True

    def col(expression: ColumnElement[Any], *, keep: bool = False) -> ColumnElement[Any]:
        return _unindexed(expression) if hide_filters and not keep else expression

    conditions: list[ColumnElement[bool]] = []
    if f.ids:
        conditions.append(col(jobs.c.id).in_(f.ids))
    if f.statuses:
        values = sorted({s.value for s in f.statuses})
        status = col(jobs.c.status, keep=by_status)
        conditions.append(status == values[0] if len(values) == 1 else status.in_(values))
    walking_created = sqlite and steering is not None and steering.walk and sort is SortKey.CREATED
    created = col(jobs.c.created_at, keep=walking_created)
    if f.created_from is not None:
        conditions.append(created >= f.created_from)
    if f.created_to is not None:
        conditions.append(created < f.created_to)
    if f.configurations:
        names = sorted(set(f.configurations))
        name = col(jobs.c.configuration_name)
        conditions.append(name == names[0] if len(names) == 1 else name.in_(names))
    if f.search is not None:
        rowids = steering.rowids if sqlite and steering is not None else None
        conditions.append(search_condition(conn, f.search, hide_index=hide_search, rowids=rowids))
    return conditions


def order_by(
    sort: SortKey, descending: bool, *, hide_index: bool = False
) -> list[ColumnElement[Any]]:
    key = _SORT_COLUMNS[sort]
    columns = [c for c in (key, jobs.c.created_at, jobs.c.id) if c is not None]
    if hide_index:
        columns[0] = _unindexed(columns[0])
    return [c.desc() if descending else c.asc() for c in columns]


#: SQLite: reading a job's row (a B-tree seek into the wide ``jobs`` table) costs about ten
#: times checking an index entry's rowid against the full-text matches (measured on a
#: million jobs: ~2–3 µs against ~0.3 µs).
ROW_READ_COST = 10


def walk_sort_index(matched: int, all_jobs: int, wanted: int, *, covered: bool = False) -> bool:
    """Whether walking the sort index and skipping the jobs that do not match is cheaper
    than collecting the matching jobs and sorting them: the walk reads about
    ``wanted * all_jobs / matched`` index entries, the sort about ``matched`` rows. When
    the index entry alone says whether a job matches (``covered``: a search alone, on
    SQLite) an entry costs a tenth of a row (:data:`ROW_READ_COST`)."""
    if matched <= 0:
        return False
    weight = ROW_READ_COST if covered else 1
    return wanted * all_jobs <= weight * matched * matched


def search_first(searched: int, filtered: int) -> bool:
    """SQLite, a search with other filters: whether to start from the search's matches
    (each row read to check the filters) rather than from the filters' index (each entry
    checked against the matches, a tenth of the cost)."""
    return searched * ROW_READ_COST <= filtered


async def estimated_job_count(conn: AsyncConnection) -> int:
    """About how many jobs exist (cheap; for choosing a plan, never shown)."""
    if conn.dialect.name == "sqlite":
        value = (await conn.execute(text("SELECT max(rowid) FROM jobs"))).scalar()
    else:
        value = (
            await conn.execute(
                text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'jobs'::regclass")
            )
        ).scalar()
    return max(int(value or 0), 0)


@dataclass
class PageRequest:
    """Which slice of the sorted matches."""

    sort: SortKey = SortKey.CREATED
    descending: bool = True
    limit: int = 25
    offset: int = 0


def page_query(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, steering: Steering | None = None
) -> Select[Any]:
    """The ids of one page, in order (see :class:`Steering` for ``steering``)."""
    hide_sort_index = steering is not None and not steering.walk and conn.dialect.name == "sqlite"
    return (
        select(jobs.c.id)
        .where(*filter_conditions(conn, f, steering=steering, sort=page.sort))
        .order_by(*order_by(page.sort, page.descending, hide_index=hide_sort_index))
        .limit(page.limit)
        .offset(page.offset)
    )


async def jobs_by_id(conn: AsyncConnection, ids: Sequence[str]) -> list[JobRecord]:
    """The jobs with these ids, in the order given (unknown ids are left out)."""
    if not ids:
        return []
    rows = await conn.execute(select(jobs).where(jobs.c.id.in_(list(ids))))
    by_id = {r.id: JobRecord.from_row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def count_search_only(conn: AsyncConnection, query: SearchQuery) -> int:
    """How many jobs a search with no other filter matches. SQLite counts inside the
    full-text index alone (its doclists), never touching ``jobs``; PostgreSQL takes a
    one-word search from ``search_words`` (:func:`_count_one_word`)."""
    if not query.words:
        return 0
    if conn.dialect.name == "sqlite":
        sql = "SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH :fts"
        params: dict[str, Any] = {"fts": query.fts5}
        id_range = query.id_range()
        if id_range is None:
            sql = "SELECT count(*) FROM jobs_fts WHERE jobs_fts MATCH :fts"
        else:
            sql = (
                f"SELECT count(*) FROM ({sql} UNION "
                "SELECT rowid FROM jobs WHERE id >= :id_lo AND id < :id_hi)"
            )
            params.update(id_lo=id_range[0], id_hi=id_range[1])
        return int((await conn.execute(text(sql), params)).scalar_one())
    if query.last_words is not None and len(query.words) == 1:
        return await _count_one_word(conn, query)
    return int(
        (
            await conn.execute(
                select(func.count()).select_from(jobs).where(search_condition(conn, query))
            )
        ).scalar_one()
    )


async def _count_one_word(conn: AsyncConnection, query: SearchQuery) -> int:
    """PostgreSQL, one word resolved into whole words: the jobs of its most common word are
    counted by ``search_words``; only the jobs that have one of the others (or the id
    prefix) but not that one are counted through the index — in one statement, so both
    parts see the same snapshot. "portrait" in 100,000 of a million jobs: ~1 ms, not 300."""
    assert query.last_words is not None
    by_jobs = sorted(query.last_words, key=lambda word: (-word[1], word[0]))
    others: list[ColumnElement[bool]] = []
    if len(by_jobs) > 1:
        others.append(_matches(" | ".join(_lexeme(w) for w, _jobs in by_jobs[1:])))
    id_range = query.id_range()
    if id_range is not None:
        others.append(and_(jobs.c.id >= id_range[0], jobs.c.id < id_range[1]))
    if not by_jobs:
        if not others:
            return 0
        statement = select(func.count()).select_from(jobs).where(or_(*others))
        return int((await conn.execute(statement)).scalar_one())
    head = by_jobs[0][0]
    total: ColumnElement[Any] = func.coalesce(
        select(search_words.c.jobs).where(search_words.c.word == head).scalar_subquery(), 0
    )
    if others:
        rest = (
            select(func.count())
            .select_from(jobs)
            .where(or_(*others), not_(_matches(_lexeme(head))))
            .scalar_subquery()
        )
        total = total + rest
    return int((await conn.execute(select(total))).scalar_one())


# -- PostgreSQL: a search's last word as whole words ---------------------------------------

T = TypeVar("T")


def _word_range(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The ``search_words`` rows the last word stands for: itself, or (a prefix) every word
    it begins — one range in code-point order."""
    last = query.words[-1]
    word = search_words.c.word
    if not query.is_prefix(len(query.words) - 1):
        return [word == last]
    conditions = [word >= last]
    following = _following(last)
    if following is not None:
        conditions.append(word < following)
    return conditions


def _following(prefix: str) -> str | None:
    """The first string after every string that starts with ``prefix`` (code-point order),
    None if there is none. Surrogates cannot be stored, so they are skipped."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


async def _resolve(conn: AsyncConnection, query: SearchQuery) -> SearchQuery | None:
    """``query`` with ``last_words`` set, or None when it must run as typed: PostgreSQL's
    parser reads what was typed differently from :func:`parse_search` (its lexemes must be
    exactly our words for the literal to mean the same), or the prefix stands for more than
    :data:`MAX_PREFIX_WORDS` words."""
    typed = func.to_tsquery(
        literal_column("'simple'::regconfig"), bindparam("typed", query.tsquery)
    )
    known = (
        select(search_words.c.word, search_words.c.jobs)
        .where(*_word_range(query))
        .order_by(search_words.c.word)
        .limit(MAX_PREFIX_WORDS + 1)
        .lateral("known")
    )
    one = select(literal_column("1").label("one")).subquery("one")
    rows = (
        await conn.execute(
            select(cast(typed, Text).label("parsed"), known.c.word, known.c.jobs).select_from(
                one.outerjoin(known, true())
            )
        )
    ).all()
    if rows[0].parsed != query.tsquery or len(rows) > MAX_PREFIX_WORDS:
        return None
    found = tuple((r.word, int(r.jobs)) for r in rows if r.word is not None)
    return replace(query, last_words=found)


async def _unchanged(conn: AsyncConnection, query: SearchQuery) -> bool:
    """Whether the words under the last word are still those ``query`` was resolved into.
    Words are only ever added (migration 0008), so the same number now means the same words
    at every moment in between."""
    assert query.last_words is not None
    statement = select(func.count()).select_from(search_words).where(*_word_range(query))
    return int((await conn.execute(statement)).scalar_one()) == len(query.last_words)


async def with_whole_words(
    conn: AsyncConnection, f: JobFilter, answer: Callable[[JobFilter], Awaitable[T]]
) -> T:
    """``answer(f)`` — on PostgreSQL with the search's last word resolved into the whole
    words it stands for (:attr:`SearchQuery.last_words`), and as exact as with the prefix.

    The words are read before ``answer`` runs; a job committed meanwhile with a word never
    seen before under the prefix would be missed, so the words are checked again after it:
    if any was added, ``answer`` runs again (and at the third time with the prefix itself).
    SQLite, a filter without a search, or one already resolved: ``answer(f)`` as it is.
    """
    query = f.search
    if conn.dialect.name == "sqlite" or query is None or not query.words:
        return await answer(f)
    if query.last_words is not None:
        return await answer(f)
    for _attempt in range(2):
        resolved = await _resolve(conn, query)
        if resolved is None:
            break
        result = await answer(replace(f, search=resolved))
        if await _unchanged(conn, resolved):
            return result
    return await answer(f)


async def resolve_whole_words(conn: AsyncConnection, f: JobFilter) -> JobFilter:
    """``f`` with its search resolved as :func:`with_whole_words` does, for a caller that
    runs several queries with one filter (a bulk selection, an export's chunks)."""
    return await with_whole_words(conn, f, _as_is)


async def _as_is(f: JobFilter) -> JobFilter:
    return f
