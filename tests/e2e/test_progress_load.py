"""How the progress page loads: its modules joined into one script and its styles into one
stylesheet (genfactory/web/assets.py), cached for good under a name that changes with the
content; the newest event-log rows before the page is ready, the older ones right after.

The joiner's own tests run the joined output in Node and compare it with the modules run
as they are, so a module it cannot join faithfully fails here, not in a browser.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Response, WebSocketRoute, expect

from genfactory.web.assets import Bundles, BundleSpec, JoinError, join_modules
from genfactory.web.routes import STATIC
from tests.e2e.helpers import LiveServer, PageFactory, expect_every_seq_once

pytestmark = pytest.mark.e2e

#: components/timeline.js: the rows of a big batch built before the page is ready.
FIRST_ROWS = 40


# -- the joiner ---------------------------------------------------------------------------


def node(*args: str, cwd: Path) -> str:
    node_bin = shutil.which("node")
    if node_bin is None:
        pytest.fail("node not found: the joiner's tests run its output in Node")
    done = subprocess.run(
        [node_bin, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_modules(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    return root


#: Modules that use every form the joiner accepts, and clash on their top-level names.
MODULES = {
    "js/lib/counter.js": (
        "/** Evaluated once, however many modules import it. */\n"
        "export const log = [];\n"
        "log.push('counter');\n"
        "const helper = (x) => `counter:${x}`;\n"
        "export function tick(x) { return helper(x); }\n"
        "export class Box { constructor(v) { this.v = v; } }\n"
    ),
    "js/lib/words.js": (
        "import { log } from './counter.js';\n"
        "log.push('words');\n"
        "const helper = (x) => `words:${x}`;\n"
        "const shout = (x) => helper(x).toUpperCase();\n"
        "export async function later(x) { return shout(x); }\n"
        "export { shout, helper as wordsHelper };\n"
    ),
    "js/lib/again.js": "export { tick, Box as Crate } from './counter.js';\n",
    "js/pages/main.js": (
        "// import { nothing } from 'in-a-comment';\n"
        "import {\n  log,\n  tick as count,\n} from '../lib/counter.js';\n"
        "import { later, shout, wordsHelper } from '../lib/words.js';\n"
        "import { Crate, tick } from '../lib/again.js';\n"
        "/** @type {import('../lib/counter.js').Box} */\n"
        "const helper = 'main';\n"
        "later('c').then((c) => console.log(JSON.stringify([log, count(1), tick(2),\n"
        "  shout('a'), wordsHelper('b'), new Crate(3).v, helper, c, typeof this])));\n"
    ),
}


def test_joined_modules_run_as_the_modules_do(tmp_path: Path) -> None:
    root = write_modules(tmp_path, MODULES)
    joined, sources = join_modules(root, "js/pages/main.js")
    assert sources == [
        "js/lib/counter.js",
        "js/lib/words.js",
        "js/lib/again.js",
        "js/pages/main.js",
    ]
    (root / "joined.js").write_text(joined, encoding="utf-8")
    expected = node("js/pages/main.js", cwd=root)
    assert node("joined.js", cwd=root) == expected
    assert expected == (
        '[["counter","words"],"counter:1","counter:2","WORDS:A","words:b",3,"main","WORDS:C",'
        '"undefined"]\n'
    )


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("import thing from './lib.js';\n", "cannot join this import"),
        ("import * as lib from './lib.js';\n", "cannot join this import"),
        ("import { a } from 'some-package';\n", "not a relative module path"),
        ("import { missing } from './lib.js';\n", "exports no missing"),
        ("export default 1;\n", "cannot join this export"),
        ("export let counter = 0;\n", "cannot join this export"),
        ("const url = import.meta.url;\n", "import.meta"),
        ("const lib = await import('./lib.js');\n", "dynamic import()"),
        ("import { a } from './cycle.js';\n", "import cycle"),
        ("import { a } from './nowhere.js';\n", "does not exist"),
    ],
)
def test_the_joiner_refuses_what_it_would_join_wrongly(
    tmp_path: Path, source: str, complaint: str
) -> None:
    root = write_modules(
        tmp_path,
        {
            "js/entry.js": source,
            "js/lib.js": "export const a = 1;\n",
            "js/cycle.js": "import { b } from './entry.js';\nexport const a = b;\n",
        },
    )
    with pytest.raises(JoinError, match=re.escape(complaint)) as refused:
        join_modules(root, "js/entry.js")
    assert "js/" in str(refused.value)


def imports_of(module: str) -> set[str]:
    """Every module ``module`` imports, directly or not (read with a regex, not the joiner)."""
    graph: set[str] = set()
    todo = [module]
    while todo:
        path = todo.pop()
        if path in graph:
            continue
        graph.add(path)
        source = (STATIC / path).read_text(encoding="utf-8")
        for name in re.findall(r"^(?:import|export) [^;]*? from '([^']+)'", source, re.M | re.S):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), name)))
    return graph


def test_the_progress_bundle_holds_the_whole_module_graph(tmp_path: Path) -> None:
    joined, sources = join_modules(STATIC, "js/pages/progress.js")
    assert set(sources) == imports_of("js/pages/progress.js")
    assert sources[-1] == "js/pages/progress.js"
    (tmp_path / "progress.mjs").write_text(joined, encoding="utf-8")
    node("--check", "progress.mjs", cwd=tmp_path)


def test_a_changed_source_gets_a_new_bundle_name(tmp_path: Path) -> None:
    root = write_modules(tmp_path, MODULES)
    (root / "css").mkdir()
    (root / "css/a.css").write_text("a { color: red; }\n", encoding="utf-8")
    bundles = Bundles(
        root,
        [
            BundleSpec("main.js", entry="js/pages/main.js"),
            BundleSpec("a.css", sheets=("css/a.css",)),
        ],
    )
    first = bundles.get("main.js")
    assert bundles.url("main.js") == f"/static/bundle/{first.filename}"
    assert re.fullmatch(r"main\.[0-9a-f]{16}\.js", first.filename)
    assert bundles.get("main.js") is first  # unchanged sources: the same bundle

    words = root / "js/lib/words.js"
    words.write_text(words.read_text() + "export const added = 1;\n", encoding="utf-8")
    stat = words.stat()
    os.utime(words, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = bundles.get("main.js")
    assert second.filename != first.filename
    assert b"added" in second.content
    # A page rendered before the edit still gets the files it names.
    assert bundles.served(first.filename) is first
    assert bundles.served(second.filename) is second
    assert bundles.get("a.css").content.decode().endswith("a { color: red; }\n")


# -- the page -----------------------------------------------------------------------------


def test_the_page_loads_one_script_and_one_stylesheet(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a paper boat on a puddle", steps=5)
    live_server.wait_for(job["id"], "completed")
    page = new_page()
    responses: list[Response] = []
    page.on("response", lambda r: responses.append(r) if "/static/" in r.url else None)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    expect(page.locator("#status-pill")).to_contain_text("Completed")

    paths = sorted(r.url.removeprefix(live_server.url) for r in responses)
    scripts = [p for p in paths if p.endswith(".js")]
    sheets = [p for p in paths if p.endswith(".css")]
    assert len(scripts) == 2 and "/static/js/theme-init.js" in scripts, paths
    assert len(sheets) == 1, paths
    (bundle,) = (p for p in scripts if p != "/static/js/theme-init.js")
    assert re.fullmatch(r"/static/bundle/progress\.[0-9a-f]{16}\.js", bundle)
    assert re.fullmatch(r"/static/bundle/progress\.[0-9a-f]{16}\.css", sheets[0])
    for response in responses:
        if "/static/bundle/" in response.url:
            assert response.status == 200
            headers = response.headers
            assert headers["cache-control"] == "public, max-age=31536000, immutable"
            assert headers["x-content-type-options"] == "nosniff"
            kind = "text/javascript" if response.url.endswith(".js") else "text/css"
            assert headers["content-type"].startswith(kind)
    # The joined stylesheet styles the page as the separate ones did (tokens included).
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 18, 32)"  # --color-bg of the dark palette


def test_an_unknown_bundle_name_is_not_found(live_server: LiveServer) -> None:
    assert live_server.api.get("/static/bundle/progress.0000000000000000.js").status_code == 404


#: Notes how many rows the event log holds when the page marks itself ready.
ROWS_AT_READY = """
(() => {
  new MutationObserver((_, observer) => {
    const main = document.getElementById('main');
    if (main?.dataset.view !== 'ready') return;
    window.__rowsAtReady = document.querySelectorAll('#event-log-body tr[data-seq]').length;
    observer.disconnect();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-view'] });
})();
"""


@pytest.fixture(scope="module")
def job_with_history(live_server: LiveServer) -> Any:
    """A finished job with more events than the log builds before the page is ready."""
    job = live_server.create_job("a flock of starlings at dusk", steps=60, count=2)
    live_server.wait_for(job["id"], "completed", timeout=60)
    assert live_server.job(job["id"])["last_seq"] > FIRST_ROWS * 2
    return job


def test_the_newest_rows_come_first_and_the_rest_right_after(
    new_page: PageFactory, live_server: LiveServer, job_with_history: Any
) -> None:
    page = new_page()
    page.add_init_script(ROWS_AT_READY)
    job_id = job_with_history["id"]
    page.goto(f"{live_server.url}/jobs/{job_id}")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    assert page.evaluate("() => window.__rowsAtReady") == FIRST_ROWS
    # Then every row of the history, once and in order, without asking the API.
    expect_every_seq_once(page, live_server, job_id)
    last_seq = live_server.job(job_id)["last_seq"]
    rows = min(last_seq, 200)
    expect(page.locator("#log-summary")).to_have_text(
        f"{last_seq - rows} earlier events not shown." if last_seq > rows else ""
    )
    assert page.locator("#event-log").get_attribute("aria-rowcount") == str(last_seq + 1)
    expect(page.locator('#event-log-body tr[tabindex="0"]')).to_have_count(1)
    expect(page.locator('#event-log-body tr[tabindex="0"]')).to_have_attribute(
        "data-seq", str(last_seq)
    )
    # The log shows its newest rows: it is scrolled to the bottom.
    page.wait_for_function(
        "() => { const w = document.getElementById('log-wrap');"
        " return w.scrollHeight - w.scrollTop - w.clientHeight < 2 && w.scrollTop > 0; }"
    )


def test_a_reset_as_the_page_opens_rebuilds_the_log_once(
    new_page: PageFactory, live_server: LiveServer, job_with_history: Any
) -> None:
    """The server refuses to resume (cursor ahead) as soon as the page connects, while the
    older history rows may still wait to be built: the log starts over from a fresh
    snapshot, and no row of the first load lands in it twice."""
    page = new_page()
    refused: list[bool] = []

    def refuse_first(ws: WebSocketRoute) -> None:
        if refused:
            ws.connect_to_server()
            return
        refused.append(True)
        ws.send(
            '{"control": "reset", "code": "cursor_ahead", '
            '"message": "Cursor ahead of the log", "last_seq": 1}'
        )
        ws.close(code=4409, reason="cursor_ahead")

    page.route_web_socket(re.compile(r"/events/ws"), refuse_first)
    page.goto(f"{live_server.url}/jobs/{job_with_history['id']}")
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live")
    assert refused == [True]
    expect_every_seq_once(page, live_server, job_with_history["id"])
    page.wait_for_timeout(500)  # anything still scheduled from the first load
    expect_every_seq_once(page, live_server, job_with_history["id"])
