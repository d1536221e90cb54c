"""The job filter as the API takes it — query parameters of the list and the statistics,
or a JSON object in bulk operations and presets — turned into the store's
:class:`~genfactory.store.search.JobFilter`, with a clear 422 for anything it cannot mean."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from genfactory.domain.statuses import JobStatus
from genfactory.store.search import JobFilter, parse_search

#: The spec's names for two statuses (the page's dropdown says Pending and Stopped).
STATUS_ALIASES = {"pending": JobStatus.QUEUED, "stopped": JobStatus.CANCELLED}
STATUS_NAMES = sorted([s.value for s in JobStatus] + list(STATUS_ALIASES))
SEARCH_MAX = 200
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FilterError(Exception):
    """A filter value the API cannot use: which field, and why."""

    def __init__(self, field: str, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.value = value

    def as_validation_error(self, *location: str) -> RequestValidationError:
        return RequestValidationError(
            [
                {
                    "loc": (*location, self.field),
                    "msg": self.message,
                    "type": "value_error",
                    "input": self.value,
                }
            ]
        )


def parse_statuses(values: Iterable[str]) -> tuple[JobStatus, ...]:
    """Status names (repeated or comma-separated, any case; "all" means no filter)."""
    found: list[JobStatus] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name == "all":
                return ()
            status = STATUS_ALIASES.get(name)
            if status is None:
                try:
                    status = JobStatus(name)
                except ValueError:
                    raise FilterError(
                        "status",
                        f"Unknown status {part.strip()[:40]!r}; use any of "
                        f"{', '.join(STATUS_NAMES)} (or all).",
                        part,
                    ) from None
            if status not in found:
                found.append(status)
    return tuple(found)


def parse_time(field: str, raw: str | None, *, end: bool) -> float | None:
    """An ISO 8601 date or date-time (no offset = UTC) as UNIX seconds. A date alone means
    the start of that UTC day — or, for the end of a range, the start of the next one, so
    the whole day is included."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError):
        raise FilterError(
            field,
            f"{field!r} must be an ISO 8601 date (2024-01-31) or date-time "
            f"(2024-01-31T18:00:00+01:00); got {text[:40]!r}.",
            raw,
        ) from None


def parse_as_of(raw: str | None) -> float | None:
    """``as_of`` — "the jobs created at or before this moment" — as UNIX seconds: an ISO
    8601 date-time (no offset = UTC; a date alone is the start of that UTC day), as the
    list answers it (``JobPage.as_of``)."""
    return parse_time("as_of", raw, end=False)


def _names(values: Iterable[str]) -> tuple[str, ...]:
    names: list[str] = []
    for value in values:
        name = value.strip()
        if len(name) > 100:
            raise FilterError("configuration", "A configuration name has at most 100 characters.")
        if name and name not in names:
            names.append(name)
    return tuple(names)


def build_filter(
    *,
    status: Sequence[str] = (),
    created_from: str | None = None,
    created_to: str | None = None,
    configuration: Sequence[str] = (),
    q: str | None = None,
    ids: Sequence[str] = (),
    as_of: str | None = None,
) -> JobFilter:
    """The store filter for the API's fields (raises :class:`FilterError`). ``as_of``
    keeps the jobs created at or before that moment (see :func:`parse_as_of`)."""
    start = parse_time("from", created_from, end=False)
    stop = parse_time("to", created_to, end=True)
    if start is not None and stop is not None and start >= stop:
        raise FilterError(
            "to",
            f"The date range is inverted: 'from' ({created_from}) must be before "
            f"'to' ({created_to}).",
            created_to,
        )
    if q is not None and len(q) > SEARCH_MAX:
        raise FilterError("q", f"Search text has at most {SEARCH_MAX} characters.", q[:50])
    pinned = parse_as_of(as_of)
    found = JobFilter(
        statuses=parse_statuses(status),
        created_from=start,
        created_to=stop,
        configurations=_names(configuration),
        search=parse_search(q),
        ids=tuple(dict.fromkeys(ids)),
    )
    return found if pinned is None else found.created_until(pinned)


class JobFilterBody(BaseModel):
    """The job filter as a JSON object (bulk operations, exports, presets). Same meaning
    as the list's query parameters."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Statuses (queued, running, uploading, completed, failed, cancelled; "
        "also pending = queued, stopped = cancelled).",
    )
    created_from: str | None = Field(
        default=None,
        alias="from",
        max_length=64,
        description="Created at or after: ISO 8601 date or date-time (no offset = UTC).",
    )
    created_to: str | None = Field(
        default=None,
        alias="to",
        max_length=64,
        description="Created before; a date alone includes that whole day.",
    )
    configuration: list[str] = Field(
        default_factory=list, max_length=50, description="Configuration names."
    )
    q: str | None = Field(
        default=None,
        max_length=SEARCH_MAX,
        description="Words to find in the label and prompt (prefixes), or a job-id prefix.",
    )
    as_of: str | None = Field(
        default=None,
        max_length=64,
        description="Only jobs created at or before this moment (ISO 8601; the list's "
        "`as_of`): a selection made on a pinned list acts on the jobs that matched then, "
        "not on jobs created since.",
        examples=["2026-11-22T01:05:48.471566Z"],
    )

    @field_validator("q")
    @classmethod
    def _search_text(cls, value: str | None) -> str | None:
        # Control characters separate words like any punctuation; dropping them keeps them
        # out of stored presets (PostgreSQL's JSON cannot hold NUL).
        if value is None:
            return None
        return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)

    @field_validator("configuration", "status")
    @classmethod
    def _printable(cls, values: list[str]) -> list[str]:
        for value in values:
            if any(unicodedata.category(ch) == "Cc" for ch in value):
                raise ValueError("Names must not contain control characters.")
        return values

    def check(self) -> None:
        """Raise ``ValueError`` (a 422 where pydantic validates) for a filter the API could
        not use, with the reason."""
        try:
            self._build()
        except FilterError as exc:
            raise ValueError(f"{exc.field}: {exc.message}") from None

    def _build(self) -> JobFilter:
        return build_filter(
            status=self.status,
            created_from=self.created_from,
            created_to=self.created_to,
            configuration=self.configuration,
            q=self.q,
            as_of=self.as_of,
        )

    def to_filter(self, *location: str) -> JobFilter:
        try:
            return self._build()
        except FilterError as exc:
            raise exc.as_validation_error(*location) from None

    def summary(self) -> dict[str, Any]:
        """The filter as given (for exports' Filters sheet and presets)."""
        return self.model_dump(by_alias=True, exclude_defaults=True)


StatusQuery = Annotated[
    list[str] | None,
    Query(
        description="Status to include; repeat or comma-separate for several. Also "
        "pending (= queued), stopped (= cancelled), all.",
        max_length=20,
    ),
]
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=64,
        description="Created at or after (ISO 8601 date or date-time; no offset = UTC).",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=64,
        description="Created before (ISO 8601); a date alone includes that whole day.",
    ),
]
ConfigurationQuery = Annotated[
    list[str] | None,
    Query(description="Configuration name; repeat for several.", max_length=50),
]
SearchQueryParam = Annotated[
    str | None,
    Query(
        max_length=SEARCH_MAX,
        description="Words to find in label and prompt (each a word prefix), or a job-id "
        "prefix (6+ hex digits). Punctuation and operators are plain separators.",
    ),
]


AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Only jobs created at or before this moment (ISO 8601, as a list "
        "answer's `as_of`): pages read with the same `as_of` do not shift while new jobs "
        "arrive. Not given: now (the answer says which moment it used).",
        examples=["2026-11-22T01:05:48.471566Z"],
    ),
]


def job_filter_params(
    status: StatusQuery = None,
    created_from: FromQuery = None,
    created_to: ToQuery = None,
    configuration: ConfigurationQuery = None,
    q: SearchQueryParam = None,
) -> JobFilterBody:
    """Dependency: the filter from the query string (validated when used)."""
    try:
        return JobFilterBody(
            status=status or [],
            created_from=created_from,
            created_to=created_to,
            configuration=configuration or [],
            q=q,
        )
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


#: A path parameter naming a stored object (job, image, operation, preset): ids are
#: letters, digits, ``-`` and ``_`` — anything else is a 422, never a database error.
IdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$", max_length=64)]
