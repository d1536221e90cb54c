"""Benchmark the web UI in headless Chromium: render timings and live-update cost.

    .venv/bin/python bench/ui.py [--rounds 7] [--steps 150] [--count 2] [--json]
                                 [--write docs/ui-performance.md]

Starts a real ``genfactory serve --mode test`` on a free port (SQLite in a temporary data
folder; the procedural provider paced at 15 steps/s with at most 5 previews/s, so a running
job emits about 20 events/s), then drives Debian's Chromium through Playwright with the same
launch flags as the e2e tests:

* **Render timings** of ``/``, ``/jobs/{id}`` (a finished job with a full event log),
  ``/configurations`` and ``/settings``: first-contentful-paint, ``domInteractive``, and
  *ready* — the moment the page's module marks its first data rendered
  (``body[data-ready="true"]``; ``main[data-view="ready"]`` on the progress page) — plus,
  on the progress page, when the first event-log row is in the DOM and when the log holds
  all its history rows. Each round opens a fresh browser context (cold: an empty cache,
  every file fetched), lets its new window settle, then loads the page, and loads it again
  in the same context (warm: cached files, or a 304 for those served ``no-cache``). A
  **baseline** row per page: the same page's HTML with every script removed, padded to the
  same size, served by the same server from ``/static/``, so the difference is what the
  JavaScript costs; and a trivial page (one paragraph) for Chromium's own floor.
* **Cold, new window**: the progress page and the trivial page loaded the moment their
  window opens, as the first version of this benchmark did. Chromium (headless, 156) then
  builds its own omnibox-popup WebUI for the new window at the same time — about a second
  of CPU in another renderer process, on a 2-CPU machine — so these rows measure that as
  much as the page.
* **Live updates**: a job of ``--count`` × ``--steps`` steps is opened as soon as it is
  created and followed to the end. Main-thread time comes from the DevTools protocol
  (``Performance.getMetrics``: ``TaskDuration``, ``ScriptDuration``, layout and style),
  divided by the events the page rendered (the log's last ``data-seq``) and scaled to 100
  events; long tasks (> 50 ms) are counted with a ``PerformanceObserver``; the largest
  number of rows the event log ever held is tracked in the page. The same page left idle for
  as long (a finished job) is the baseline.

Prints Markdown tables and whether the goal (progress page interactive in under 300 ms on
localhost, p95) holds; ``--write`` also writes them into a Markdown file. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "genfactory" / "web" / "static"
CHROMIUM = os.environ.get("GENFACTORY_CHROMIUM", "/usr/bin/chromium")
#: The e2e tests' launch flags (tests/e2e/conftest.py).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
GOAL_MS = 300.0
PROGRESS = "/jobs/{id}"
STEPS_PER_SECOND = 20
PREVIEWS_PER_SECOND = 10
SERVER_ENV = {
    "GENFACTORY_STEP_DELAY": f"{1 / STEPS_PER_SECOND:.4f}",
    "GENFACTORY_PREVIEW_INTERVAL": f"{1 / PREVIEWS_PER_SECOND:.3f}",
    "GENFACTORY_POLL_INTERVAL": "0.05",
}

#: A new window's own work (Chromium's omnibox-popup WebUI takes about a second of CPU in
#: another renderer) is over before a cold load starts, as in a browser someone already has
#: open; the "new window" visits skip this wait.
SETTLE_MS = 1500
#: The rows the progress page's event log holds for a job with a long history.
LOG_ROWS = 200
#: The trivial page of the Chromium-floor baseline.
TRIVIAL_HTML = '<!doctype html><html lang="en"><meta charset="utf-8"><title>t</title><p>Hello.</p>'

#: Runs before any page script: notes when the page says it is ready, when the first log
#: row appears and when the log holds its history, long tasks, and the most rows the event
#: log ever held.
INIT_SCRIPT = f"""
(() => {{
  const perf = window.__bench = {{
    readyAt: null, logAt: null, fullAt: null, longTasks: [], maxRows: 0,
  }};
  const ready = () => document.body?.dataset.ready === 'true'
    || document.getElementById('main')?.dataset.view === 'ready';
  const look = () => {{
    if (perf.readyAt === null && ready()) perf.readyAt = performance.now();
    const log = document.getElementById('event-log-body');
    if (log) {{
      if (perf.logAt === null && log.querySelector('tr[data-seq]')) perf.logAt = performance.now();
      const want = window.__benchLogRows ?? {LOG_ROWS};
      const full = want > 0 && log.children.length >= want;
      if (perf.fullAt === null && full) perf.fullAt = performance.now();
      perf.maxRows = Math.max(perf.maxRows, log.children.length);
    }}
  }};
  new MutationObserver(look).observe(document, {{
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready', 'data-view'],
  }});
  try {{
    new PerformanceObserver((list) => {{
      for (const entry of list.getEntries()) perf.longTasks.push(entry.duration);
    }}).observe({{ type: 'longtask', buffered: true }});
  }} catch (error) {{ /* no long-task API */ }}
}})();
"""

READ_TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    ttfb: nav ? nav.responseStart : null,
    fcp: fcp ? fcp.startTime : null,
    domInteractive: nav ? nav.domInteractive : null,
    load: nav ? nav.loadEventEnd : null,
    ready: window.__bench?.readyAt ?? null,
    log: window.__bench?.logAt ?? null,
    full: window.__bench?.fullAt ?? null,
    bytes: nav ? nav.decodedBodySize : null,
  };
}"""


# -- numbers and tables ------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


# -- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(data_dir: Path) -> Iterator[httpx.Client]:
    """``genfactory serve --mode test`` on a free port; yields an API client."""
    port = free_port()
    script = Path(sys.executable).with_name("genfactory")
    cmd = [str(script), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    env = {**os.environ, **SERVER_ENV}
    env.pop("GENFACTORY_DATABASE_URL", None)
    env.pop("GENFACTORY_API_TOKEN", None)
    log_path = data_dir / "server.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [*cmd, "--mode", "test"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log_path.read_text()[-3000:]}")
            try:
                if client.get("/api/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def create_job(api: httpx.Client, prompt: str, **body: Any) -> Any:
    response = api.post("/api/jobs", json={"prompt": prompt, **body})
    response.raise_for_status()
    return response.json()


# -- static baselines --------------------------------------------------------------------

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S | re.I)
PRELOAD = re.compile(r'<link rel="modulepreload"[^>]*>\s*', re.I)


def static_copy(html: str) -> str:
    """The page without any script, padded (an HTML comment) to the same number of bytes."""
    stripped = PRELOAD.sub("", SCRIPT.sub("", html))
    missing = len(html.encode()) - len(stripped.encode()) - len("<!--  -->")
    padding = f"<!-- {'x' * max(0, missing)} -->" if missing > 0 else ""
    return stripped.replace("</body>", f"{padding}</body>", 1)


@contextmanager
def baselines(api: httpx.Client, paths: dict[str, str]) -> Iterator[dict[str, str]]:
    """Static copies of the pages under ``/static/_bench-<pid>/``, and the trivial page
    (key ``trivial``), removed afterwards."""
    folder = STATIC / f"_bench-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    try:
        urls = {}
        for name, path in paths.items():
            (folder / f"{name}.html").write_text(static_copy(api.get(path).text), encoding="utf-8")
            urls[name] = f"/static/{folder.name}/{name}.html"
        (folder / "trivial.html").write_text(TRIVIAL_HTML, encoding="utf-8")
        urls["trivial"] = f"/static/{folder.name}/trivial.html"
        yield urls
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- render timings ----------------------------------------------------------------------


@dataclass
class RenderSamples:
    label: str
    visit: str
    ttfb: list[float] = field(default_factory=list)
    fcp: list[float] = field(default_factory=list)
    dom_interactive: list[float] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)
    log: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    bytes: int | None = None

    def add(self, t: dict[str, Any]) -> None:
        for attr, key in (
            ("ttfb", "ttfb"),
            ("fcp", "fcp"),
            ("dom_interactive", "domInteractive"),
            ("ready", "ready"),
            ("log", "log"),
            ("full", "full"),
        ):
            if t.get(key) is not None:
                getattr(self, attr).append(float(t[key]))
        self.bytes = t.get("bytes") or self.bytes


def new_context(browser: Browser, log_rows: int = LOG_ROWS) -> BrowserContext:
    """A fresh context (empty cache); ``log_rows``: the rows the event log holds when full."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    context.add_init_script(f"window.__benchLogRows = {int(log_rows)};")
    context.add_init_script(INIT_SCRIPT)
    return context


def load(page: Page, url: str, *, scripted: bool, log: bool) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    if scripted:
        page.wait_for_function("() => window.__bench && window.__bench.readyAt !== null")
        if log:
            page.wait_for_function("() => window.__bench.fullAt !== null")
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0"
    )
    return dict(page.evaluate(READ_TIMINGS))


@dataclass(frozen=True)
class PagePlan:
    """One row group of the render table."""

    label: str
    path: str
    scripted: bool = True
    log_rows: int = 0  # the rows of its event log when full (the progress page)
    new_window: bool = False  # also measure a load the moment its window opens

    @property
    def log(self) -> bool:
        return self.log_rows > 0


COLD, WARM, NEW_WINDOW = "cold", "warm", "cold, new window"


def measure_renders(
    browser: Browser, base: str, pages: list[PagePlan], rounds: int
) -> list[RenderSamples]:
    """Rounds interleave the pages (and the visits), so load changes hit them alike."""
    samples: dict[tuple[str, str], RenderSamples] = {}
    for plan in pages:
        for visit in (COLD, WARM, NEW_WINDOW) if plan.new_window else (COLD, WARM):
            samples[(plan.label, visit)] = RenderSamples(plan.label, visit)
    for _ in range(rounds):
        for plan in pages:
            url = base + plan.path
            context = new_context(browser, plan.log_rows)
            try:
                page = context.new_page()
                page.wait_for_timeout(SETTLE_MS)
                samples[(plan.label, COLD)].add(
                    load(page, url, scripted=plan.scripted, log=plan.log)
                )
                samples[(plan.label, WARM)].add(
                    load(page, url, scripted=plan.scripted, log=plan.log)
                )
            finally:
                context.close()
            if not plan.new_window:
                continue
            context = new_context(browser, plan.log_rows)
            try:
                page = context.new_page()
                samples[(plan.label, NEW_WINDOW)].add(
                    load(page, url, scripted=plan.scripted, log=plan.log)
                )
            finally:
                context.close()
    return list(samples.values())


# -- live updates ------------------------------------------------------------------------


def metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}


def last_seq(page: Page) -> int:
    value = page.evaluate(
        "() => Number(document.querySelector('#event-log-body tr[data-seq]:last-child')"
        "?.dataset.seq ?? 0)"
    )
    return int(value)


def measure_stream(browser: Browser, api: httpx.Client, steps: int, count: int) -> dict[str, Any]:
    """Follow a job from creation to completion; main-thread time per 100 events."""
    context = new_context(browser)
    try:
        job = create_job(api, "a long winding river through autumn hills", steps=steps, count=count)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{api.base_url}/jobs/{job['id']}")
        page.wait_for_function("() => window.__bench.readyAt !== null")
        page.wait_for_function("() => document.querySelector('#event-log-body tr[data-seq]')")
        seq0 = last_seq(page)
        before = metrics(cdp)
        t0 = time.monotonic()
        page.wait_for_function(
            "() => document.getElementById('main')?.dataset.status === 'completed'",
            timeout=(steps * count / STEPS_PER_SECOND + 60) * 1000,
        )
        page.wait_for_timeout(300)  # the last frame's rows
        after = metrics(cdp)
        wall = time.monotonic() - t0
        seq1 = last_seq(page)
        bench = page.evaluate("() => window.__bench")
        rows = page.locator("#event-log-body tr").count()
        final = api.get(f"/api/jobs/{job['id']}").json()
    finally:
        context.close()
    events = seq1 - seq0

    def per100(name: str) -> float:
        return (after[name] - before[name]) * 1000 / events * 100 if events else math.nan

    long_tasks = [float(d) for d in bench["longTasks"]]
    return {
        "job_events": final["last_seq"],
        "events": events,
        "seconds": wall,
        "rate": events / wall if wall else math.nan,
        "task_ms_per_100": per100("TaskDuration"),
        "script_ms_per_100": per100("ScriptDuration"),
        "layout_style_ms_per_100": (
            (
                after["LayoutDuration"]
                - before["LayoutDuration"]
                + after["RecalcStyleDuration"]
                - before["RecalcStyleDuration"]
            )
            * 1000
            / events
            * 100
            if events
            else math.nan
        ),
        "task_ms_total": (after["TaskDuration"] - before["TaskDuration"]) * 1000,
        "long_tasks": len(long_tasks),
        "longest_task_ms": max(long_tasks, default=0.0),
        "max_rows": int(bench["maxRows"]),
        "final_rows": rows,
        "job_id": job["id"],
    }


def measure_idle(browser: Browser, base: str, job_id: str, seconds: float) -> dict[str, Any]:
    """The same page on a finished job, left alone as long as the live run lasted."""
    context = new_context(browser)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{base}/jobs/{job_id}")
        page.wait_for_function("() => window.__bench.logAt !== null")
        page.wait_for_timeout(500)
        before = metrics(cdp)
        page.wait_for_timeout(seconds * 1000)
        after = metrics(cdp)
    finally:
        context.close()
    return {
        "seconds": seconds,
        "task_ms_total": (after["TaskDuration"] - before["TaskDuration"]) * 1000,
        "script_ms_total": (after["ScriptDuration"] - before["ScriptDuration"]) * 1000,
    }


# -- report ------------------------------------------------------------------------------


def render_table(samples: list[RenderSamples]) -> str:
    rows = []
    for s in samples:
        rows.append(
            [
                s.label,
                s.visit,
                ms(statistics.median(s.ttfb) if s.ttfb else None),
                ms(statistics.median(s.fcp) if s.fcp else None),
                ms(statistics.median(s.dom_interactive) if s.dom_interactive else None),
                ms(statistics.median(s.ready) if s.ready else None),
                ms(percentile(s.ready, 95) if s.ready else None),
                ms(statistics.median(s.log) if s.log else None),
                ms(statistics.median(s.full) if s.full else None),
                f"{s.bytes:,}" if s.bytes else "—",
            ]
        )
    return markdown_table(
        [
            "page",
            "visit",
            "HTML response ms",
            "FCP ms",
            "domInteractive ms",
            "ready ms (median)",
            "ready ms (p95)",
            "first log row ms",
            "log filled ms",
            "HTML bytes",
        ],
        rows,
    )


def stream_table(live: dict[str, Any], idle: dict[str, Any]) -> str:
    rows = [
        [
            "job streaming (WebSocket)",
            f"{live['events']:,}",
            f"{live['seconds']:.1f}",
            f"{live['rate']:.1f}",
            ms(live["task_ms_per_100"], 1),
            ms(live["script_ms_per_100"], 1),
            ms(live["layout_style_ms_per_100"], 1),
            ms(live["task_ms_total"]),
            f"{live['long_tasks']} (longest {live['longest_task_ms']:.0f} ms)",
            f"{live['max_rows']} (final {live['final_rows']})",
        ],
        [
            "baseline: finished job, idle",
            "0",
            f"{idle['seconds']:.1f}",
            "0",
            "—",
            "—",
            "—",
            ms(idle["task_ms_total"]),
            "—",
            "—",
        ],
    ]
    return markdown_table(
        [
            "run",
            "events",
            "s",
            "events/s",
            "main thread ms / 100 events",
            "script ms / 100",
            "layout+style ms / 100",
            "main thread ms total",
            "long tasks",
            "max log rows",
        ],
        rows,
    )


def machine(browser_version: str) -> str:
    one, five, _ = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Chromium {browser_version} (headless); load average {one:.2f} (1 min), "
        f"{five:.2f} (5 min)"
    )


def report(
    samples: list[RenderSamples],
    live: dict[str, Any],
    idle: dict[str, Any],
    rounds: int,
    history: int,
    where: str,
) -> str:
    def progress(visit: str) -> RenderSamples:
        return next(s for s in samples if s.label == PROGRESS and s.visit == visit)

    p95 = percentile(progress(COLD).ready, 95)
    p95_new_window = percentile(progress(NEW_WINDOW).ready, 95)
    verdict = "HOLDS" if p95 < GOAL_MS else "MISSED"
    bounded = "HOLDS" if live["max_rows"] <= 200 else "MISSED"
    return "\n".join(
        [
            f"Measured on {where}.",
            "",
            f"### Render timings ({rounds} rounds; median unless marked)",
            "",
            render_table(samples),
            "",
            f"`/jobs/{{id}}` is a finished job with {history:,} events (the log shows the "
            f"newest {min(history, LOG_ROWS)}). *ready*: the page's module has rendered its "
            "first data "
            '(`body[data-ready="true"]`, or `main[data-view="ready"]` on the progress page); '
            "*log filled*: the log holds all its history rows (the newest are built before "
            "*ready*, the older ones just after). *baseline* rows are the same HTML "
            "without scripts, from `/static/`; the trivial page is one paragraph. Cold: a new "
            f"browser context (empty cache) whose window had {SETTLE_MS / 1000:g} s to settle; "
            "warm: the same page loaded again in it; cold, new window: loaded the moment a new "
            "context's window opens, while Chromium builds its own omnibox-popup WebUI for it.",
            "",
            f"**Goal: progress page interactive in under {GOAL_MS:.0f} ms on localhost** "
            f"(cold, p95 of *ready*): {ms(p95)} ms — **{verdict}** "
            f"(in a window that just opened: {ms(p95_new_window)} ms).",
            "",
            "### Live updates",
            "",
            stream_table(live, idle),
            "",
            f"A job of {live['job_events']:,} events followed from creation to completion "
            f"(the renderer makes {STEPS_PER_SECOND} steps/s; the server sends at most 10 "
            f"progress events and {PREVIEWS_PER_SECOND} previews per second, so about 20 "
            "events/s when the machine keeps up). Main-thread time is the DevTools protocol's "
            "`TaskDuration` (all main-thread work: script, style, layout, paint, image "
            "decoding) over the run, per 100 events rendered.",
            "",
            f"**The event log stays bounded** (at most 200 rows): {live['max_rows']} rows at "
            f"most — **{bounded}**.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=150, help="steps of the live job")
    parser.add_argument("--count", type=int, default=3, help="images of the live job")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.add_argument("--write", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp, serve(Path(tmp)) as api:
        base = str(api.base_url).rstrip("/")
        for name in ("Portraits", "Landscapes", "Night"):
            api.post(
                "/api/configurations",
                json={"name": name, "settings": {"provider": "procedural", "steps": 12}},
            ).raise_for_status()
        for i in range(5):  # recent jobs on the Start page
            create_job(api, f"a quick sketch {i}", steps=2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                # The live job, followed to its end, is then the finished job with a full
                # log whose page the render timings load.
                live = measure_stream(browser, api, args.steps, args.count)
                idle = measure_idle(browser, base, live["job_id"], live["seconds"])
                history = int(live["job_events"])
                pages = {
                    "home": "/",
                    "progress": f"/jobs/{live['job_id']}",
                    "configurations": "/configurations",
                    "settings": "/settings",
                }
                with baselines(api, pages) as copies:
                    plan = []
                    for name, path in pages.items():
                        label = PROGRESS if name == "progress" else path
                        progress = name == "progress"
                        rows = min(LOG_ROWS, history) if progress else 0
                        plan.append(PagePlan(label, path, log_rows=rows, new_window=progress))
                        plan.append(
                            PagePlan(f"baseline: static copy of {label}", copies[name], False)
                        )
                    plan.append(
                        PagePlan(
                            "baseline: trivial page", copies["trivial"], False, new_window=True
                        )
                    )
                    samples = measure_renders(browser, base, plan, args.rounds)
                where = machine(browser.version)
            finally:
                browser.close()

    text = report(samples, live, idle, args.rounds, history, where)
    print(text)
    if args.json:
        raw = {
            "renders": [s.__dict__ for s in samples],
            "live": live,
            "idle": idle,
        }
        print(json.dumps(raw, indent=2, default=str))
    if args.write:
        write_report(args.write, text)


def write_report(path: Path, text: str) -> None:
    """Replace the generated part of the file (between the markers), keeping the rest."""
    start, end = "<!-- bench/ui.py: start -->", "<!-- bench/ui.py: end -->"
    block = f"{start}\n{text}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in current and end in current:
        head, rest = current.split(start, 1)
        _, tail = rest.split(end, 1)
        path.write_text(head + block + tail, encoding="utf-8")
    else:
        prefix = current.rstrip() + "\n\n" if current else ""
        path.write_text(prefix + block + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
