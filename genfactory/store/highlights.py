"""Where a search's words occur in a job's fields, for the job list to mark them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genfactory.store.jobs import JobRecord
from genfactory.store.search import SearchQuery


@dataclass
class Highlights:
    """Where the search words occur in a job's fields: ``[start, end)`` pairs in UTF-16 code
    units (JavaScript string indices), sorted and merged."""

    label: list[list[int]] = field(default_factory=list)
    prompt: list[list[int]] = field(default_factory=list)
    id: list[list[int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[list[int]]]:
        return {
            k: v for k, v in (("label", self.label), ("prompt", self.prompt), ("id", self.id)) if v
        }


def _utf16_offsets(value: str) -> list[int]:
    offsets = [0]
    for ch in value:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def _spans(value: str | None, query: SearchQuery) -> list[list[int]]:
    if not value or not query.words:
        return []
    spans: list[tuple[int, int]] = []
    for position, word in enumerate(query.words):
        tail = r"" if query.is_prefix(position) else r"(?![^\W_])"
        pattern = re.compile(r"(?<![^\W_])" + re.escape(word) + tail, re.IGNORECASE)
        spans.extend(m.span() for m in pattern.finditer(value))
    if not spans:
        return []
    spans.sort()
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if len(value.encode("utf-16-le")) == 2 * len(value):
        return merged  # no character outside the BMP: UTF-16 offsets are the indices
    offsets = _utf16_offsets(value)
    return [[offsets[s], offsets[e]] for s, e in merged]


def highlights(job: JobRecord, query: SearchQuery) -> Highlights:
    """Highlights for one job (computed for the returned page only)."""
    found = Highlights(label=_spans(job.label, query), prompt=_spans(job.prompt, query))
    if query.id_prefix and job.id.startswith(query.id_prefix):
        found.id = [[0, len(query.id_prefix)]]
    return found
