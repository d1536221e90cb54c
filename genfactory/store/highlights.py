"""Where a search's words occur in a job's fields, for the job list to mark them."""

from __future__ import annotations

import re
import unicodedata
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


def _fold(text: str) -> str:
    """``text`` as the search compares it: lower case, accents dropped ("Café" → "cafe")."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _folded(value: str) -> tuple[str, list[int]]:
    """``value`` folded, and for each folded character (and the end) its index in
    ``value``: a match in the folded text maps back to the characters it covers."""
    parts: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(value):
        piece = _fold(ch)
        parts.append(piece)
        origin.extend([index] * len(piece))
    origin.append(len(value))
    return "".join(parts), origin


def _spans(value: str | None, query: SearchQuery) -> list[list[int]]:
    if not value or not query.words:
        return []
    # The search matches without regard to case or accents ("cafe" finds "café"): so do
    # the marks, on the folded text, mapped back to the original characters.
    folded, origin = _folded(value)
    spans: list[tuple[int, int]] = []
    for position, word in enumerate(query.words):
        tail = r"" if query.is_prefix(position) else r"(?![^\W_])"
        pattern = re.compile(r"(?<![^\W_])" + re.escape(_fold(word)) + tail)
        for m in pattern.finditer(folded):
            start, end = m.span()
            if end > start:
                # Up to the next folded character: accents that folded away stay inside.
                spans.append((origin[start], max(origin[end], origin[end - 1] + 1)))
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
