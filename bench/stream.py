"""Live-stream fan-out: delay from append to receipt for many subscribers of one job.

    .venv/bin/python -m bench.stream [--subscribers 100 500] [--transports ws sse]
                                     [--rate 20] [--seconds 10] [--profile-server]

For each transport (WebSocket, Server-Sent Events) and each subscriber count, two servers
are measured the same way, one after the other, each a fresh ``uvicorn`` subprocess
(uvloop, httptools, the ``websockets`` protocol, access log off):

* **ours** — ``create_app(Settings(mode="test", workers=1), tune=True)`` (the garbage
  collector tuned as ``genfactory serve`` tunes it) on a temporary SQLite data
  folder, with a ``ticker`` provider that, once told to start, emits ``--rate`` events per
  second for ``--seconds`` seconds (one in four a ``progress`` report — the worker throttles
  progress to 10/s — the others ``log`` lines), then returns a tiny PNG. Subscribers use the
  real per-job endpoints ``/api/jobs/{id}/events/ws`` and ``…/events/stream`` with
  ``after`` = the snapshot's ``last_seq``.
* **floor** (the baseline) — a minimal Starlette app: one task stamps the same envelopes
  (same fields, same JSON size) at the same rate and puts each, encoded once, on one
  ``asyncio.Queue`` per subscriber; each WebSocket/SSE handler sends what its queue gives.
  No database, no event log: the least any server on this stack can do.

Subscribers run in one or two separate client processes (``websockets`` / ``httpx``
streaming), so the server's event loop is not shared with them. A client takes its
receive time with ``time.time()`` as each message arrives; delay = receive time − the
envelope's ``time`` (the append time, same machine, same clock). The server's RSS is
sampled every 50 ms with psutil; the peak is reported.

Prints a Markdown table, a table of details per run (how long our job took to emit, the
p99 time of one append inside our server, CPU of server and clients, delivery, seq gaps),
and whether the goals hold at the largest subscriber count: p99 within 2× the floor's p99
— with every event delivered in order and our job emitting on schedule (within 20 %;
a delay measured from the append would otherwise hide a writer that the subscribers slow
down) — and server RSS under 300 MB. ``--profile-server`` then runs our server once more
per transport under cProfile at that size and prints where its CPU goes. Always exits 0.

Internal roles (started by the benchmark itself): ``--role engine-server``,
``--role floor-server``, ``--role clients``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ROOT,
    cpu_by_area,
    fmt,
    machine,
    markdown_table,
    percentile,
    raise_fd_limit,
    tiny_png,
    top_functions,
    verdict,
)

HOST = "127.0.0.1"
GOAL_RATIO = 2.0
GOAL_RSS_MB = 300.0
#: Our job must emit on schedule (within 20 %) for a delay measured from the append to count.
SCHEDULE_SLACK = 1.2
TERMINAL = ("completed", "failed", "cancelled")
GATE_TIMEOUT = 300.0
_TRANSPORT = {"ws": "WebSocket", "sse": "SSE"}


def tick(i: int, total: int) -> tuple[str, dict[str, Any]]:
    """The ``i``-th event the job emits: its type and the ``data`` our worker writes."""
    if i % 4 == 0:
        step = i + 1
        return "progress", {
            "stage": "running",
            "percent": round(90.0 * step / total, 2),
            "step": step,
            "total": total,
            "message": f"Step {step}/{total}",
        }
    return "log", {"level": "info", "message": f"tick {i + 1} of {total}"}


def is_tick(envelope: dict[str, Any]) -> bool:
    kind = envelope.get("type")
    if kind == "log":
        return True
    return kind == "progress" and envelope.get("data", {}).get("stage") == "running"


# -- server roles -------------------------------------------------------------------------


def _uvicorn(app: Any, port: int) -> None:
    import uvicorn

    from genfactory.cli import UVICORN_WEBSOCKETS

    # Both servers with `genfactory serve`'s WebSocket settings: the comparison is of the
    # application, not of the transport's options.
    uvicorn.run(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        backlog=4096,
        timeout_graceful_shutdown=3,
        **UVICORN_WEBSOCKETS,
    )


def _run_server(app: Any, port: int, profile_out: str | None) -> None:
    raise_fd_limit()
    if not profile_out:
        _uvicorn(app, port)
        return
    import cProfile

    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        _uvicorn(app, port)
    finally:
        profiler.disable()
        profiler.dump_stats(profile_out)


def serve_engine(port: int, data_dir: Path, events: int, rate: float, profile: str | None) -> None:
    from genfactory.api.app import create_app
    from genfactory.providers.base import (
        CancelToken,
        GeneratedImage,
        GenerationRequest,
        ProviderInfo,
        Reporter,
    )
    from genfactory.providers.registry import ProviderRegistry
    from genfactory.settings import Settings

    png = tiny_png()
    gate = asyncio.Event()

    class TickerProvider:
        """Waits for ``POST /bench/start``, then emits ``events`` events at ``rate``/s."""

        info = ProviderInfo(
            name="ticker",
            title="Ticker (benchmark)",
            description="Emits progress and log events at a fixed rate.",
            sizes=("8x8",),
            styles=(),
            min_steps=1,
            max_steps=150,
            default_steps=1,
            streams_previews=False,
        )

        async def generate(
            self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
        ) -> list[GeneratedImage]:
            async with asyncio.timeout(GATE_TIMEOUT):
                await gate.wait()
            loop = asyncio.get_running_loop()
            start = loop.time()
            spent: list[float] = []
            for i in range(events):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await cancel.sleep(delay)
                kind, data = tick(i, events)
                t = time.perf_counter()
                if kind == "progress":
                    await reporter.progress(data["step"], events, data["message"])
                else:
                    await reporter.log(data["message"])
                spent.append(time.perf_counter() - t)
            if spent:
                print(
                    f"ticker: {len(spent)} appends, p50 {1000 * percentile(spent, 50):.1f} ms, "
                    f"p99 {1000 * percentile(spent, 99):.1f} ms, max {1000 * max(spent):.1f} ms, "
                    f"emitting took {loop.time() - start:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
            return [GeneratedImage(0, request.seed, 8, 8, png)]

    settings = Settings(data_dir=data_dir, mode="test", workers=1, port=port)
    app = create_app(settings, providers=ProviderRegistry([TickerProvider()]), tune=True)

    async def start() -> dict[str, bool]:
        gate.set()
        return {"started": True}

    app.add_api_route("/bench/start", start, methods=["POST"])
    _run_server(app, port, profile)


def floor_app(events: int, rate: float) -> Any:
    """The floor: one broadcaster, one queue per subscriber, nothing else."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    from genfactory.domain.events import iso_time

    job_id = uuid.uuid4().hex
    subscribers: set[asyncio.Queue[tuple[str, bytes] | None]] = set()
    tasks: set[asyncio.Task[None]] = set()

    def encode(seq: int, kind: str, data: dict[str, Any]) -> tuple[str, bytes]:
        envelope = {
            "job_id": job_id,
            "seq": seq,
            "id": seq,
            "type": kind,
            "time": iso_time(time.time()),
            "data": data,
        }
        # Same encodings as ours: compact JSON on WebSocket, json.dumps defaults on SSE.
        ws_text = json.dumps(envelope, separators=(",", ":"))
        return ws_text, f"data: {json.dumps(envelope)}\nid: {seq}\n\n".encode()

    async def broadcast() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        seq = 2
        for i in range(events):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            seq += 1
            message = encode(seq, *tick(i, events))
            for queue in tuple(subscribers):
                queue.put_nowait(message)
        final = encode(seq + 1, "status", {"status": "completed", "previous": "uploading"})
        for queue in tuple(subscribers):
            queue.put_nowait(final)
            queue.put_nowait(None)

    async def start(_request: Request) -> JSONResponse:
        task = asyncio.create_task(broadcast())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return JSONResponse({"started": True})

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "subscribers": len(subscribers)})

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        subscribers.add(queue)
        try:
            hello = {"control": "hello", "job_id": job_id, "after": 2, "last_seq": 2}
            await websocket.send_text(json.dumps(hello))
            while (item := await queue.get()) is not None:
                await websocket.send_text(item[0])
            await websocket.close()
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            subscribers.discard(queue)

    async def sse(_request: Request) -> StreamingResponse:
        queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        subscribers.add(queue)

        async def body() -> Any:
            try:
                yield b"retry: 2000\n\n"
                while (item := await queue.get()) is not None:
                    yield item[1]
            finally:
                subscribers.discard(queue)

        return StreamingResponse(
            body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return Starlette(
        routes=[
            Route("/bench/health", health),
            Route("/bench/start", start, methods=["POST"]),
            Route("/sse", sse),
            WebSocketRoute("/ws", ws),
        ]
    )


# -- client role --------------------------------------------------------------------------


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Subscriber:
    received: list[tuple[float, str]] = field(default_factory=list)
    connected: bool = False
    finished: bool = False
    error: str | None = None


def _final(raw: str) -> bool:
    if '"status"' not in raw:
        return False
    envelope = json.loads(raw)
    return envelope.get("type") == "status" and envelope["data"].get("status") in TERMINAL


async def _ws_subscriber(url: str, sub: Subscriber, gate: asyncio.Semaphore) -> None:
    from websockets.asyncio.client import connect

    async with gate:
        ws = await connect(
            url, open_timeout=120, ping_interval=None, close_timeout=2, max_size=None, proxy=None
        )
        await ws.recv()  # the hello
        sub.connected = True
    async with ws:
        while True:
            raw = await ws.recv()
            now = time.time()
            assert isinstance(raw, str)
            sub.received.append((now, raw))
            if _final(raw):
                sub.finished = True
                return


async def _sse_subscriber(client: Any, url: str, sub: Subscriber, gate: asyncio.Semaphore) -> None:
    await gate.acquire()
    released = False
    buffer = b""
    try:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        async with client.stream("GET", url, headers=headers) as response:
            response.raise_for_status()
            # Raw chunks split by hand: httpx's aiter_lines() costs the client more CPU than
            # the server spends, which would measure the client instead of the server.
            async for chunk in response.aiter_raw():
                now = time.time()
                if not released:  # the stream's first bytes arrived
                    sub.connected = True
                    gate.release()
                    released = True
                buffer += chunk
                *blocks, buffer = buffer.split(b"\n\n")
                for block in blocks:
                    for line in block.split(b"\n"):
                        if line.startswith(b"data:"):
                            raw = line[5:].lstrip().decode()
                            sub.received.append((now, raw))
                            if _final(raw):
                                sub.finished = True
                                return
    finally:
        if not released:
            gate.release()


async def run_clients(transport: str, url: str, count: int, out: Path, limit: float) -> None:
    """Connect ``count`` subscribers, print ``READY``, receive until the job ends, then
    write each subscriber's (receive time, message) pairs, reduced, to ``out``."""
    import httpx

    raise_fd_limit()
    subs = [Subscriber() for _ in range(count)]
    gate = asyncio.Semaphore(50)  # connection attempts in flight
    client = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        timeout=httpx.Timeout(120.0, read=None),
        trust_env=False,
    )

    async def one(sub: Subscriber) -> None:
        try:
            if transport == "ws":
                await _ws_subscriber(url, sub, gate)
            else:
                await _sse_subscriber(client, url, sub, gate)
        except Exception as exc:  # recorded and reported, the run goes on
            sub.error = f"{type(exc).__name__}: {exc}"

    tasks = [asyncio.create_task(one(s)) for s in subs]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(s.connected or s.error or t.done() for s, t in zip(subs, tasks, strict=True)):
            break
        await asyncio.sleep(0.05)
    connected = sum(s.connected for s in subs)
    print(f"READY {connected} {count - connected}", flush=True)
    cpu0, wall0 = _cpu_seconds(), time.monotonic()
    _done, pending = await asyncio.wait(tasks, timeout=limit)
    cpu_share = (_cpu_seconds() - cpu0) / max(1e-9, time.monotonic() - wall0)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await client.aclose()

    delays: list[float] = []
    ticks: list[int] = []
    gaps = 0
    last_seqs: list[int] = []
    errors = [s.error for s in subs if s.error]
    for sub in subs:
        last_seq: int | None = None
        n = 0
        for received_at, raw in sub.received:
            envelope = json.loads(raw)
            seq = envelope["seq"]
            if last_seq is not None and seq != last_seq + 1:
                gaps += 1
            last_seq = seq
            if is_tick(envelope):
                n += 1
                sent = datetime.fromisoformat(envelope["time"]).timestamp()
                delays.append((received_at - sent) * 1000.0)
        ticks.append(n)
        last_seqs.append(last_seq or 0)
    report = json.dumps(
        {
            "delays_ms": delays,
            "ticks": ticks,
            "finished": sum(s.finished for s in subs),
            "connected": connected,
            "gaps": gaps,
            "errors": errors[:5],
            "error_count": len(errors),
            "cpu_share": cpu_share,
            "last_seqs": last_seqs,
        }
    )
    await asyncio.to_thread(out.write_text, report)


# -- the benchmark ------------------------------------------------------------------------


@dataclass
class Run:
    system: str
    transport: str
    subscribers: int
    p50: float = float("nan")
    p99: float = float("nan")
    max_ms: float = float("nan")
    rss_mb: float = float("nan")
    cpu_percent: float = float("nan")
    delivered: int = 0
    expected: int = 0
    gaps: int = 0
    connected: int = 0
    finished: int = 0
    errors: list[str] = field(default_factory=list)
    profile: str | None = None
    job_status: str | None = None
    client_cpu: float = 0.0
    last_seqs: list[int] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    append_p99: float = float("nan")
    emitted: int = 0
    emit_seconds: float = float("nan")

    @property
    def delivered_share(self) -> float:
        return 100.0 * self.delivered / self.expected if self.expected else float("nan")


def client_limit(args: argparse.Namespace) -> float:
    """How long a client process waits for the job to end once it is started."""
    return float(args.events / args.rate + 60)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class RssSampler:
    """Peak RSS and CPU time of one process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(0.05)

    def cpu(self) -> float:
        try:
            t = self.process.cpu_times()
            return float(t.user + t.system)
        except Exception:
            return float("nan")

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _wait_http(url: str, proc: asyncio.subprocess.Process, seconds: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"server exited with code {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url)
                return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} within {seconds:.0f} s")


async def _stop(proc: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    """SIGINT (uvicorn shuts down gracefully), then SIGKILL after ``grace`` seconds."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(grace):
                await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def _read_ready(proc: asyncio.subprocess.Process, seconds: float) -> tuple[int, int]:
    assert proc.stdout is not None
    async with asyncio.timeout(seconds):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise RuntimeError("client process exited before it was ready")
            if line.startswith("READY"):
                _, ok, failed = line.split()
                return int(ok), int(failed)


def _module(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.stream", *args]


async def _subscribe_url(
    system: str, transport: str, port: int, server: asyncio.subprocess.Process
) -> tuple[str, str | None]:
    """Wait for the server; for ours, submit the job and subscribe after its ``last_seq``.
    Returns the subscription URL and (ours) the job's snapshot URL."""
    import httpx

    base = f"http://{HOST}:{port}"
    scheme = "ws" if transport == "ws" else "http"
    if system == "floor":
        await _wait_http(f"{base}/bench/health", server)
        return f"{scheme}://{HOST}:{port}/{'ws' if transport == 'ws' else 'sse'}", None
    await _wait_http(f"{base}/api/health", server)
    body = {"prompt": "stream benchmark", "provider": "ticker", "size": "8x8", "steps": 1}
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=30.0) as http:
        response = await http.post("/api/jobs", json=body)
        response.raise_for_status()
        job_id = response.json()["id"]
        after = (await http.get(f"/api/jobs/{job_id}")).json()["last_seq"]
    endpoint = "ws" if transport == "ws" else "stream"
    url = f"{scheme}://{HOST}:{port}/api/jobs/{job_id}/events/{endpoint}?after={after}"
    return url, f"{base}/api/jobs/{job_id}"


def _collect(run: Run, outputs: list[Path]) -> None:
    delays: list[float] = []
    for path in outputs:
        data = json.loads(path.read_text())
        delays.extend(data["delays_ms"])
        run.delivered += sum(data["ticks"])
        run.finished += data["finished"]
        run.gaps += data["gaps"]
        run.errors += data["errors"]
        run.client_cpu = max(run.client_cpu, 100.0 * data["cpu_share"])
        run.last_seqs += data["last_seqs"]
    run.expected = run.subscribers * run.emitted
    run.p50, run.p99 = percentile(delays, 50), percentile(delays, 99)
    run.max_ms = max(delays) if delays else float("nan")


def _profile_report(run: Run, profile_out: str, events: int) -> str | None:
    if not Path(profile_out).exists():
        return None
    return (
        f"\n### Profile: our server, {run.transport}, {run.subscribers} subscribers "
        f"(a separate run under cProfile, thread CPU clock, whole server life)\n\n"
        + cpu_by_area(profile_out, max(1, events), "ms per emitted event")
        + f"\n\nTop 25 functions by own CPU:\n\n```\n{top_functions(profile_out, 25)}\n```\n"
    )


async def measure(system: str, transport: str, subscribers: int, args: argparse.Namespace) -> Run:
    import httpx

    run = Run(system, transport, subscribers)
    tmp = Path(tempfile.mkdtemp(prefix=f"gf-bench-stream-{system}-"))
    port = _free_port()
    role = "engine-server" if system == "ours" else "floor-server"
    cmd = _module("--role", role, "--port", str(port), "--events", str(args.events))
    cmd += ["--rate", str(args.rate), "--data-dir", str(tmp / "data")]
    profile_out = str(tmp / "server.prof") if system == "ours" and args.profile_now else None
    if profile_out:
        cmd += ["--profile-out", profile_out]
    limit = client_limit(args)
    processes = 1 if subscribers <= 100 else 2
    shares = [subscribers // processes + (i < subscribers % processes) for i in range(processes)]
    outputs = [tmp / f"client-{i}.json" for i in range(processes)]
    log = (tmp / "server.log").open("wb")
    server = await asyncio.create_subprocess_exec(
        *cmd, cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    clients: list[asyncio.subprocess.Process] = []
    try:
        url, job_url = await _subscribe_url(system, transport, port, server)
        with RssSampler(server.pid) as sampler:
            for share, out in zip(shares, outputs, strict=True):
                client_cmd = _module("--role", "clients", "--transport", transport, "--url", url)
                client_cmd += ["--count", str(share), "--out", str(out), "--limit", str(limit)]
                clients.append(
                    await asyncio.create_subprocess_exec(
                        *client_cmd, cwd=ROOT, stdout=asyncio.subprocess.PIPE
                    )
                )
            t_connect = time.monotonic()
            ready = await asyncio.gather(*(_read_ready(c, 240) for c in clients))
            run.phases["connect"] = time.monotonic() - t_connect
            run.connected = sum(ok for ok, _failed in ready)
            await asyncio.sleep(1.0)  # let every stream finish subscribing
            cpu0, t0 = sampler.cpu(), time.monotonic()
            async with httpx.AsyncClient(trust_env=False, timeout=30.0) as http:
                (await http.post(f"http://{HOST}:{port}/bench/start")).raise_for_status()
            async with asyncio.timeout(limit + 30):
                for c in clients:
                    await c.wait()
            run.phases["stream"] = time.monotonic() - t0
            run.cpu_percent = 100.0 * (sampler.cpu() - cpu0) / (time.monotonic() - t0)
            run.emitted = args.events
            if job_url:
                async with httpx.AsyncClient(trust_env=False, timeout=30.0) as http:
                    job = (await http.get(job_url)).json()
                    history = (await http.get(f"{job_url}/events?after=0&limit=1000")).json()
                # The worker may drop a progress report that comes < 0.1 s after the last.
                run.emitted = sum(is_tick(e) for e in history["events"])
                run.job_status = f"{job.get('status')}, last_seq {job.get('last_seq')}"
                if job.get("error"):
                    run.job_status += f", error {job['error']}"
        run.rss_mb = sampler.peak / 2**20
        await asyncio.to_thread(_collect, run, outputs)
    except Exception as exc:  # report the failure in the table, keep going
        run.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        try:
            await _cleanup(clients, server, log)
            _read_server_log(run, tmp / "server.log")
            if profile_out:
                run.profile = await asyncio.to_thread(
                    _profile_report, run, profile_out, args.events
                )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return run


async def _cleanup(
    clients: list[asyncio.subprocess.Process], server: asyncio.subprocess.Process, log: Any
) -> None:
    for c in clients:
        if c.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                c.kill()
            await c.wait()
    await _stop(server)
    log.close()


def _read_server_log(run: Run, path: Path) -> None:
    """The ticker's own timing line, and the log's tail when something went wrong."""
    try:
        server_log = path.read_bytes().decode(errors="replace")
    except OSError:
        return
    found = re.search(r"ticker: .*p99 ([\d.]+) ms.*emitting took ([\d.]+) s", server_log)
    if found:
        run.append_p99, run.emit_seconds = float(found[1]), float(found[2])
    if run.errors or run.finished < run.subscribers:
        tail = server_log[-600:]
        if tail.strip():
            run.errors.append(f"server log tail: {tail}")


async def bench(args: argparse.Namespace) -> None:
    print(f"## Streaming: one job, {args.rate:g} events/s for {args.seconds:g} s\n")
    print(f"Machine: {machine()}\n", flush=True)
    runs: list[Run] = []
    largest = max(args.subscribers)
    for n in args.subscribers:
        for transport in args.transports:
            for system in ("floor", "ours"):
                args.profile_now = False
                run = await measure(system, transport, n, args)
                runs.append(run)
                print(
                    f"  {system}/{transport}/{n}: p50 {run.p50:.1f} ms, p99 {run.p99:.1f} ms, "
                    f"RSS {run.rss_mb:.0f} MB, delivered {run.delivered_share:.1f} %, "
                    + ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items()),
                    file=sys.stderr,
                    flush=True,
                )
    by_key = {(r.system, r.transport, r.subscribers): r for r in runs}
    headers = ["transport", "subscribers", "p50 ms", "p99 ms", "server RSS MB", "floor p50 ms",
               "floor p99 ms", "floor RSS MB", "ratio (p99 / floor p99)"]  # fmt: skip
    rows = []
    for n in args.subscribers:
        for transport in args.transports:
            ours, floor = by_key[("ours", transport, n)], by_key[("floor", transport, n)]
            rows.append(
                [
                    _TRANSPORT[transport],
                    n,
                    fmt(ours.p50),
                    fmt(ours.p99),
                    fmt(ours.rss_mb, 0),
                    fmt(floor.p50),
                    fmt(floor.p99),
                    fmt(floor.rss_mb, 0),
                    f"{ours.p99 / floor.p99:.2f}×" if floor.p99 > 0 else "—",
                ]
            )
    print(markdown_table(headers, rows))
    headers = ["system", "transport", "subscribers", "max ms", "emitting s", "append p99 ms",
               "server CPU", "busiest client CPU", "delivered", "seq gaps"]  # fmt: skip
    rows = [
        [
            r.system,
            _TRANSPORT[r.transport],
            r.subscribers,
            fmt(r.max_ms, 0),
            fmt(r.emit_seconds) if r.system == "ours" else "—",
            fmt(r.append_p99) if r.system == "ours" else "—",
            f"{r.cpu_percent:.0f} %",
            f"{r.client_cpu:.0f} %",
            f"{r.delivered_share:.1f} %",
            r.gaps,
        ]
        for r in runs
    ]
    print("\nDetails of every run:\n")
    print(markdown_table(headers, rows))
    print(
        f"\n`emitting s` = how long our job took to append its {args.events} events (the plan: "
        f"{args.events / args.rate:g} s); `append p99 ms` = p99 time of one reporter call (one "
        "write transaction) inside our server; `server CPU` / `client CPU` = CPU time of that "
        "process while the job emitted, per second (100 % = one core); `delivered` = tick "
        "events received ÷ (subscribers × events emitted); `seq gaps` = places where a "
        "subscriber's seq did not go up by exactly 1."
    )
    for r in runs:
        if r.gaps or r.errors or r.connected < r.subscribers or r.finished < r.subscribers:
            print(
                f"\n{r.system}/{r.transport}/{r.subscribers}: connected {r.connected}, "
                f"finished {r.finished}, seq gaps {r.gaps}, job {r.job_status or '—'}, "
                f"last seq received min/median/max {min(r.last_seqs, default=0)}/"
                f"{percentile(r.last_seqs, 50):.0f}/{max(r.last_seqs, default=0)}; "
                f"errors: {r.errors[:3]}"
            )
    print()
    for transport in args.transports:
        ours, floor = by_key[("ours", transport, largest)], by_key[("floor", transport, largest)]
        name = _TRANSPORT[transport]
        ratio = ours.p99 / floor.p99 if floor.p99 > 0 else float("nan")
        problems = []
        if ours.delivered != ours.expected or ours.gaps or not ours.expected:
            text = f"only {ours.delivered_share:.1f} % delivered, {ours.gaps} seq gaps"
            if ours.finished < ours.subscribers:
                gave_up = ours.subscribers - ours.finished
                text += f" ({gave_up} subscribers gave up after {client_limit(args):g} s)"
            problems.append(text)
        planned = args.events / args.rate
        if not ours.emit_seconds <= planned * SCHEDULE_SLACK:
            # Delay is measured from the append, so a job the subscribers slow down would
            # look fast: it must also have kept its schedule.
            problems.append(
                f"but the job took {ours.emit_seconds:.1f} s instead of {planned:g} s to emit: "
                "the subscribers slowed the writer down"
            )
        print(
            f"Goal — {name}, {largest} subscribers, p99 within {GOAL_RATIO:g}× the floor: "
            f"**{verdict(not problems and ratio <= GOAL_RATIO)}** ({ours.p99:.1f} ms vs "
            f"{floor.p99:.1f} ms = {ratio:.2f}×" + "".join(f"; {p}" for p in problems) + ")"
        )
        print(
            f"Goal — {name}, {largest} subscribers, server RSS under {GOAL_RSS_MB:g} MB: "
            f"**{verdict(ours.rss_mb < GOAL_RSS_MB)}** (peak {ours.rss_mb:.0f} MB)"
        )
    if args.profile_server:
        # Separate runs: the profiler slows the server down, so they are not in the table.
        args.profile_now = True
        for transport in args.transports:
            run = await measure("ours", transport, largest, args)
            print(run.profile or f"\n(no profile for {transport}: {run.errors[:2]})")
            print(
                f"(profiled run: p50 {run.p50:.1f} ms, p99 {run.p99:.1f} ms, delivered "
                f"{run.delivered_share:.1f} %, job {run.job_status})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--transports", nargs="+", choices=["ws", "sse"], default=["ws", "sse"])
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (20)")
    parser.add_argument("--seconds", type=float, default=10.0, help="emitting time (10)")
    parser.add_argument("--profile-server", action="store_true")
    parser.add_argument(
        "--role",
        choices=["bench", "engine-server", "floor-server", "clients"],
        default="bench",
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--transport", choices=["ws", "sse"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=float, default=120.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.events is None:
        args.events = max(1, round(args.rate * args.seconds))

    if args.role == "engine-server":
        serve_engine(args.port, args.data_dir, args.events, args.rate, args.profile_out)
    elif args.role == "floor-server":
        _run_server(floor_app(args.events, args.rate), args.port, args.profile_out)
    elif args.role == "clients":
        try:
            import uvloop

            runner: Any = uvloop.run
        except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
            runner = asyncio.run
        runner(run_clients(args.transport, args.url, args.count, args.out, args.limit))
    else:
        for name in [k for k in os.environ if k.startswith("GENFACTORY_")]:
            del os.environ[name]  # the servers get their settings from the benchmark only
        asyncio.run(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
