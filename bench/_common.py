"""Helpers shared by the benchmarks: tables, percentiles, machine description, tiny PNG."""

from __future__ import annotations

import io
import math
import os
import platform
import resource
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # ``python bench/x.py`` as well as ``python -m bench.x``
    sys.path.insert(0, str(ROOT))


def tiny_png(side: int = 8) -> bytes:
    """A small valid PNG, encoded once by the caller and reused."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (side, side), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line saying where the numbers were measured."""
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:  # pragma: no cover - psutil is a dependency of the benches
        mem = "? RAM"
    return (
        f"{cpu_model()}, {os.cpu_count()} CPUs, {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {load()}"
    )


def load() -> str:
    """The machine's load average: benchmarks on a shared machine need it to be read."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def raise_fd_limit(wanted: int = 16384) -> int:
    """Raise the soft open-files limit towards ``wanted`` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def verdict(ok: bool) -> str:
    return "HOLDS" if ok else "MISSED"


# -- profiles -----------------------------------------------------------------------------

_AREAS = (
    ("sqlalchemy/sql/", "SQLAlchemy: build statements, cache keys, compile"),
    ("sqlalchemy/engine/", "SQLAlchemy: execute, results"),
    ("sqlalchemy/dialects/", "SQLAlchemy: driver adapter"),
    ("sqlalchemy/ext/asyncio", "SQLAlchemy: asyncio facade"),
    ("sqlalchemy/", "SQLAlchemy: other (pool, events, utils)"),
    ("greenlet", "greenlet switches"),
    ("aiosqlite/", "aiosqlite (thread hand-off)"),
    ("asyncpg/", "asyncpg"),
    ("asyncio/", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("uvloop", "uvloop event loop"),
    ("genfactory/", "genfactory code"),
    ("fastapi/", "FastAPI (routing, SSE encoding)"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn protocols"),
    ("websockets/", "websockets protocol"),
    ("pydantic", "pydantic"),
    ("anyio/", "anyio (streams, task groups)"),
    ("json/", "json"),
    ("PIL/", "Pillow (thumbnail)"),
    ("bench/", "benchmark harness"),
)


def _area(filename: str, func: str) -> str:
    key = filename.replace("\\", "/")
    for needle, label in _AREAS:
        if needle in key or needle in func:
            return label
    if filename == "~":
        return "builtins (C calls: queues, sockets, dicts, …)"
    return "other Python"


def cpu_by_area(profiler: Any, units: int, unit_label: str) -> str:
    """A Markdown table of a cProfile run's own time grouped by library area."""
    import pstats
    from collections import Counter

    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    areas: Counter[str] = Counter()
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        areas[_area(filename, func)] += tottime
    total = sum(areas.values()) or 1.0
    rows = [
        [label, f"{seconds:.2f}", f"{100 * seconds / total:.0f} %", f"{1000 * seconds / units:.2f}"]
        for label, seconds in areas.most_common()
    ]
    return markdown_table(["area", "CPU s", "share", unit_label], rows)


def top_functions(profiler: Any, n: int = 20) -> str:
    import pstats

    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(n)
    body = stream.getvalue()
    return body[body.find("   ncalls") :].rstrip() if "   ncalls" in body else body.rstrip()
