"""The ``comfyui`` provider: drives a ComfyUI server with a workflow template.

The workflow is a ComfyUI workflow in *API format* (``{node_id: {"class_type", "inputs"}}``,
what "Save (API Format)" writes). A *mapping* says which node input receives each value of
the request, for example ``{"prompt": ["6", "text"], "seed": ["3", "seed"]}``.

For each image ``i`` of a job the provider

1. fills a copy of the template (prompt, negative prompt, ``seed + i``, size, steps,
   ``batch_size = 1``),
2. listens on ``ws://HOST/ws?clientId=…`` (connected *before* submitting, so no event is
   missed) and submits ``POST /prompt {"prompt", "client_id", "prompt_id"}``,
3. follows that prompt's events: ``progress`` → progress, binary preview frames → previews,
   ``execution_error`` → a typed error, ``execution_interrupted`` → cancelled or an error,
   ``executing`` with ``node: null`` (or ``execution_success``) → done,
4. reads ``GET /history/{prompt_id}`` and downloads the output images with ``GET /view``.

Cancelling deletes the prompt from the queue (``POST /queue {"delete": [id]}``) and
interrupts it (``POST /interrupt {"prompt_id": id}``). A WebSocket that goes silent
(ComfyUI issue #3128) or drops is covered by a watchdog that polls ``/history``; a prompt
that never finishes fails as ``timeout`` after ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers._http import (
    clip,
    image_info,
    make_preview,
    race,
    transport_error,
)
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    ProviderInfo,
    Reporter,
)

log = logging.getLogger(__name__)

DEFAULT_URL: Final = "http://127.0.0.1:8188"
DEFAULT_SIZES: Final = (
    "512x512",
    "768x768",
    "1024x1024",
    "768x512",
    "512x768",
    "1216x832",
    "832x1216",
)
#: The request values a mapping may place, and what each one receives.
MAPPING_KEYS: Final = {
    "prompt": "the prompt (plus the style, if any)",
    "negative": "the negative prompt (job option negative_prompt)",
    "seed": "the seed of this image (seed + image index)",
    "width": "the width in pixels",
    "height": "the height in pixels",
    "steps": "the number of sampling steps",
    "batch_size": "always 1: one image per prompt keeps image i = seed + i",
    "model": "the configuration's model, if it names one (a checkpoint file name)",
}
#: ComfyUI's binary WebSocket frames (``protocol.py``: ``BinaryEventTypes``).
PREVIEW_IMAGE: Final = 1
TEXT: Final = 3
PREVIEW_IMAGE_WITH_METADATA: Final = 4
MAX_SEED: Final = 2**64 - 1
#: A ComfyUI preview frame can be a large PNG; websockets' default limit is 1 MiB.
MAX_FRAME: Final = 32 * 2**20
#: After ``execution_success`` the closing ``executing`` (``node: null``) follows at once;
#: if it does not, this many seconds later the watchdog looks at the history instead.
AFTER_SUCCESS_WAIT: Final = 2.0


def default_workflow(checkpoint: str = "v1-5-pruned-emaonly.safetensors") -> dict[str, Any]:
    """ComfyUI's own default text-to-image graph, in API format (see :data:`DEFAULT_MAPPING`)."""
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 0,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}},
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": 512, "height": 512, "batch_size": 1},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "7": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "blurry, watermark, text", "clip": ["4", 1]},
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {
            "class_type": "SaveImage",
            "inputs": {"filename_prefix": "genfactory", "images": ["8", 0]},
        },
    }


DEFAULT_MAPPING: Final[Mapping[str, tuple[str, str]]] = {
    "prompt": ("6", "text"),
    "negative": ("7", "text"),
    "seed": ("3", "seed"),
    "steps": ("3", "steps"),
    "width": ("5", "width"),
    "height": ("5", "height"),
    "batch_size": ("5", "batch_size"),
    "model": ("4", "ckpt_name"),  # a configuration's model: the checkpoint file to load
}


def load_workflow(path: str | Path) -> dict[str, Any]:
    """Read an API-format workflow file; refuse the UI format with a hint."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and "nodes" in data and "links" in data:
        raise ValueError(
            f"{path} is a ComfyUI UI workflow; export it with 'Save (API Format)' instead"
        )
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a ComfyUI API-format workflow (a JSON object)")
    return data


def parse_mapping(mapping: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """``{"prompt": ["6", "text"]}`` or ``{"prompt": "6.text"}`` → ``{"prompt": ("6", "text")}``."""
    out: dict[str, tuple[str, str]] = {}
    for key, target in mapping.items():
        if key not in MAPPING_KEYS:
            raise ValueError(f"unknown mapping key {key!r}; known: {', '.join(MAPPING_KEYS)}")
        if isinstance(target, str):
            node, sep, name = target.partition(".")
            if not sep:
                raise ValueError(f"mapping {key!r}: write 'node_id.input', not {target!r}")
        elif isinstance(target, Sequence) and len(target) == 2:
            node, name = (str(part) for part in target)
        else:
            raise ValueError(f"mapping {key!r} must be [node_id, input_name], not {target!r}")
        out[key] = (node, name)
    return out


def comfyui_info(
    *,
    name: str = "comfyui",
    title: str = "ComfyUI server",
    sizes: tuple[str, ...] = DEFAULT_SIZES,
    supports_seed: bool = True,
    available: bool = True,
    unavailable_reason: str | None = None,
) -> ProviderInfo:
    return ProviderInfo(
        name=name,
        title=title,
        description=(
            "Runs a workflow template on a ComfyUI server (your models, your GPU). Progress "
            "and previews come from the server's WebSocket; previews need ComfyUI started "
            "with --preview-method auto (or latent2rgb/taesd)."
        ),
        sizes=sizes,
        styles=(),
        min_steps=1,
        max_steps=150,
        default_steps=20,
        streams_previews=True,
        supports_seed=supports_seed,
        supports_cancel=True,
        available=available,
        unavailable_reason=unavailable_reason,
    )


class ComfyUIProvider:
    """Generates images on a ComfyUI server. Construction is cheap and offline; call
    :meth:`check` to find out (and record in :attr:`info`) whether the server answers.

    ``timeout`` bounds one prompt from submission to its last event (queue time included);
    ``request_timeout`` bounds each HTTP request; ``ws_idle_timeout`` is how long the
    WebSocket may stay silent before the watchdog asks ``/history``; ``poll_interval`` is
    the pace of polling when there is no usable WebSocket.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        workflow: Mapping[str, Any] | None = None,
        mapping: Mapping[str, Any] | None = None,
        *,
        timeout: float = 900.0,
        request_timeout: float = 30.0,
        ws_idle_timeout: float = 20.0,
        poll_interval: float = 1.0,
        preview_interval: float = 0.1,
        output_node: str | None = None,
        sizes: Sequence[str] = DEFAULT_SIZES,
        headers: Mapping[str, str] | None = None,
        name: str = "comfyui",
        title: str = "ComfyUI server",
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"ComfyUI URL must be http(s)://host[:port], not {base_url!r}")
        for label, value in (
            ("timeout", timeout),
            ("request_timeout", request_timeout),
            ("ws_idle_timeout", ws_idle_timeout),
            ("poll_interval", poll_interval),
        ):
            if value <= 0:
                raise ValueError(f"{label} must be > 0 seconds")
        self.base_url = urlunsplit(parts)
        self.ws_url = urlunsplit(
            ("wss" if parts.scheme == "https" else "ws", parts.netloc, parts.path + "/ws", "", "")
        )
        self.workflow: dict[str, Any] = copy.deepcopy(
            dict(workflow) if workflow is not None else default_workflow()
        )
        self.mapping = parse_mapping(DEFAULT_MAPPING if mapping is None else mapping)
        self._check_template(output_node)
        self.output_node = output_node
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.ws_idle_timeout = ws_idle_timeout
        self.poll_interval = poll_interval
        self.preview_interval = preview_interval
        self.headers = dict(headers or {})
        self.info = comfyui_info(
            name=name, title=title, sizes=tuple(sizes), supports_seed="seed" in self.mapping
        )

    def __repr__(self) -> str:
        return f"ComfyUIProvider(base_url={self.base_url!r}, nodes={len(self.workflow)})"

    def _check_template(self, output_node: str | None) -> None:
        if not self.workflow or not all(
            isinstance(node, dict) and "class_type" in node and isinstance(node.get("inputs"), dict)
            for node in self.workflow.values()
        ):
            raise ValueError(
                "the workflow must be in ComfyUI's API format: "
                '{node_id: {"class_type": ..., "inputs": {...}}}'
            )
        if "prompt" not in self.mapping:
            raise ValueError("the mapping must say where the prompt goes (mapping['prompt'])")
        for key, (node, name) in self.mapping.items():
            if node not in self.workflow:
                raise ValueError(f"mapping {key!r}: node {node!r} is not in the workflow")
            if name not in self.workflow[node]["inputs"]:
                raise ValueError(
                    f"mapping {key!r}: node {node!r} ({self.workflow[node]['class_type']}) "
                    f"has no input {name!r}"
                )
        if output_node is not None and output_node not in self.workflow:
            raise ValueError(f"output node {output_node!r} is not in the workflow")

    # -- the provider interface ---------------------------------------------------------

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        self._check_request(request)
        cancel.raise_if_cancelled()
        async with self._http() as http:
            session = _Session(self, http, request, reporter, cancel)
            try:
                await session.open_socket()
                return [await session.run(i) for i in range(request.count)]
            finally:
                await session.close()

    async def check(self) -> tuple[bool, str]:
        """Ask ``GET /system_stats``; record the answer in :attr:`info` (available or not,
        and why) and return ``(ok, message)`` for the Settings page. Never raises."""
        try:
            async with self._http(timeout=min(self.request_timeout, 10.0)) as http:
                response = await http.get("/system_stats")
        except (httpx.HTTPError, OSError) as exc:
            ok, message = False, f"server unreachable at {self.base_url} ({type(exc).__name__})"
        else:
            data = _json_or_none(response)
            if response.status_code == 200 and isinstance(data, dict) and "system" in data:
                system = data.get("system") or {}
                devices = data.get("devices") or [{}]
                version = system.get("comfyui_version", "unknown version")
                device = (devices[0] or {}).get("name", "unknown device")
                ok, message = True, f"ComfyUI {version} at {self.base_url} on {device}"
            elif response.status_code in (401, 403):
                ok, message = False, f"{self.base_url} refused access (HTTP {response.status_code})"
            else:
                ok, message = (
                    False,
                    f"{self.base_url} does not look like a ComfyUI server "
                    f"(HTTP {response.status_code} on /system_stats)",
                )
        self.info = replace(self.info, available=ok, unavailable_reason=None if ok else message)
        return ok, message

    async def test_connection(self) -> tuple[bool, str]:
        return await self.check()

    # -- helpers --------------------------------------------------------------------------

    def _http(self, timeout: float | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=self.headers,
            timeout=timeout or self.request_timeout,
        )

    def _check_request(self, request: GenerationRequest) -> None:
        problems = []
        for side, value in (("width", request.width), ("height", request.height)):
            if value < 16 or value % 8:
                problems.append(f"{side} must be a multiple of 8 and at least 16 (got {value})")
        if request.steps < 1:
            problems.append("steps must be at least 1")
        if request.count < 1:
            problems.append("count must be at least 1")
        if not request.prompt.strip():
            problems.append("the prompt is empty")
        if problems:
            raise ProviderError(ErrorCode.REJECTED, "; ".join(problems), retryable=False)

    def fill(self, request: GenerationRequest, index: int) -> dict[str, Any]:
        """The template with this request's values for image ``index``."""
        workflow = copy.deepcopy(self.workflow)
        prompt = request.prompt.strip()
        style = (request.style or "").strip()
        if style and style.lower() != "none":
            prompt = f"{prompt}, {style}"
        values: dict[str, Any] = {
            "prompt": prompt,
            "seed": (request.seed + index) % (MAX_SEED + 1),
            "width": request.width,
            "height": request.height,
            "steps": request.steps,
            "batch_size": 1,
        }
        negative = request.options.get("negative_prompt")
        if isinstance(negative, str):
            values["negative"] = negative
        model = request.options.get("model")
        if isinstance(model, str) and model.strip():
            values["model"] = model.strip()
        for key, (node, name) in self.mapping.items():
            if key in values:
                workflow[node]["inputs"][name] = values[key]
        return workflow

    def node_title(self, node_id: object) -> str:
        node = self.workflow.get(str(node_id))
        if isinstance(node, dict):
            title = (
                (node.get("_meta") or {}).get("title")
                if isinstance(node.get("_meta"), dict)
                else None
            )
            return str(title or node.get("class_type") or f"node {node_id}")
        return f"node {node_id}"


@dataclass
class _Run:
    """What is known about one submitted prompt."""

    prompt_id: str
    index: int
    workflow: dict[str, Any]
    finished: bool = False
    succeeded: bool = False
    step: int = 0
    total: int = 0
    last_preview: float = 0.0
    outputs: dict[str, Any] = field(default_factory=dict)


class _Session:
    """One ``generate`` call: one HTTP client, one WebSocket, one prompt per image."""

    def __init__(
        self,
        provider: ComfyUIProvider,
        http: httpx.AsyncClient,
        request: GenerationRequest,
        reporter: Reporter,
        cancel: CancelToken,
    ) -> None:
        self.p = provider
        self.http = http
        self.request = request
        self.reporter = reporter
        self.cancel = cancel
        self.client_id = uuid.uuid4().hex
        self.ws: ClientConnection | None = None
        self.where = f"the ComfyUI server at {provider.base_url}"

    # -- WebSocket -------------------------------------------------------------------------

    async def open_socket(self) -> None:
        url = f"{self.p.ws_url}?clientId={self.client_id}"
        try:
            self.ws = await race(
                connect(
                    url,
                    additional_headers=self.p.headers or None,
                    open_timeout=self.p.request_timeout,
                    max_size=MAX_FRAME,
                ),
                self.cancel,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise ProviderError(
                    ErrorCode.AUTH, f"{self.where} refused the WebSocket (HTTP {status})"
                ) from None
            await self._no_socket(f"HTTP {status}")
            return
        except InvalidHandshake as exc:
            await self._no_socket(type(exc).__name__)
            return
        except (OSError, TimeoutError) as exc:
            raise transport_error(exc, self.where, timeout=self.p.request_timeout) from None
        # Ask for previews with metadata (they name their prompt); older servers ignore it.
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(
                json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}})
            )

    async def _no_socket(self, why: str) -> None:
        self.ws = None
        await self.reporter.log(
            f"ComfyUI WebSocket unavailable ({why}): following the job by polling, "
            "without live progress or previews",
            "warning",
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    # -- one prompt --------------------------------------------------------------------------

    async def run(self, index: int) -> GeneratedImage:
        self.cancel.raise_if_cancelled()
        run = _Run(
            prompt_id=str(uuid.uuid4()), index=index, workflow=self.p.fill(self.request, index)
        )
        await self._submit(run)
        try:
            await self._follow(run)
            image = await self._result(run)
        except BaseException:
            if not run.finished:
                with contextlib.suppress(Exception):
                    await self._abort(run.prompt_id)
            raise
        return image

    async def _submit(self, run: _Run) -> None:
        body = {"prompt": run.workflow, "client_id": self.client_id, "prompt_id": run.prompt_id}
        try:
            response = await race(self.http.post("/prompt", json=body), self.cancel)
        except JobCancelled:
            # The request may have reached the server: make sure the prompt does not run.
            with contextlib.suppress(Exception):
                await self._abort(run.prompt_id)
            raise
        except (httpx.HTTPError, OSError) as exc:
            raise transport_error(exc, self.where, timeout=self.p.request_timeout) from None
        data = _json_or_none(response)
        if response.status_code == 200 and isinstance(data, dict) and data.get("prompt_id"):
            run.prompt_id = str(data["prompt_id"])
            if data.get("node_errors"):
                await self.reporter.log(
                    "ComfyUI ignored some outputs of the workflow: "
                    + _node_errors_text(data["node_errors"], self.p),
                    "warning",
                )
            what = f"image {run.index + 1}/{self.request.count}, " if self.request.count > 1 else ""
            await self.reporter.log(
                f"Queued on ComfyUI as prompt {run.prompt_id} "
                f"({what}seed {self.request.seed + run.index})"
            )
            return
        raise self._submit_error(response, data)

    def _submit_error(self, response: httpx.Response, data: Any) -> ProviderError:
        status = response.status_code
        if status == 400 and isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict):
                text = str(error.get("message") or error.get("type") or "invalid workflow")
                details = str(error.get("details") or "").strip()
                if details:
                    text += f": {details}"
            else:
                text = str(error or "invalid workflow")
            node_errors = _node_errors_text(data.get("node_errors") or {}, self.p)
            if node_errors:
                text += f" — {node_errors}"
            return ProviderError(
                ErrorCode.REJECTED, clip(f"ComfyUI refused the workflow: {text}"), retryable=False
            )
        if status in (401, 403):
            return ProviderError(ErrorCode.AUTH, f"{self.where} refused access (HTTP {status})")
        if status >= 500:
            return ProviderError(
                ErrorCode.UNAVAILABLE,
                f"{self.where} failed (HTTP {status}): {clip(response.text, 200)}",
            )
        if status == 413:
            return ProviderError(
                ErrorCode.REJECTED, f"{self.where} refused the workflow as too large (HTTP 413)"
            )
        return ProviderError(
            ErrorCode.UNAVAILABLE,
            f"{self.where} does not accept prompts (HTTP {status} on POST /prompt); "
            "is it a ComfyUI server?",
            retryable=False,
        )

    async def _follow(self, run: _Run) -> None:
        """Wait until ``run`` is finished (or raise)."""
        deadline = time.monotonic() + self.p.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(
                    ErrorCode.TIMEOUT,
                    f"ComfyUI did not finish prompt {run.prompt_id} within {self.p.timeout:g} s",
                )
            if self.ws is None:
                await self.cancel.sleep(min(self.p.poll_interval, remaining))
                if await self._poll(run):
                    return
                continue
            idle = self.p.ws_idle_timeout
            if run.succeeded:
                idle = min(idle, AFTER_SUCCESS_WAIT)
            try:
                message = await race(self.ws.recv(), self.cancel, within=min(idle, remaining))
            except TimeoutError:
                # Silent socket (ComfyUI #3128) or a lost closing event: ask the history.
                if await self._poll(run):
                    return
                continue
            except ConnectionClosed:
                await self.reporter.log(
                    "ComfyUI WebSocket closed; following the job by polling", "warning"
                )
                self.ws = None
                continue
            if await self._handle(run, message):
                return

    async def _handle(self, run: _Run, message: str | bytes) -> bool:
        """Act on one WebSocket message; ``True`` when the prompt is finished."""
        if isinstance(message, bytes):
            await self._binary(run, message)
            return False
        try:
            envelope = json.loads(message)
        except json.JSONDecodeError:
            return False
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
            return False
        kind, data = envelope.get("type"), envelope["data"]
        if data.get("prompt_id", run.prompt_id) != run.prompt_id:
            return False  # an event of another prompt
        if kind == "execution_start":
            await self.reporter.log(f"ComfyUI started prompt {run.prompt_id}")
        elif kind == "progress":
            value, total = _int(data.get("value")), _int(data.get("max"))
            if total > 0:
                run.step, run.total = min(value, total), total
                await self.reporter.progress(
                    run.step,
                    total,
                    f"{self._prefix(run)}{self.p.node_title(data.get('node'))} "
                    f"step {run.step}/{total}",
                    image_index=run.index,
                )
        elif kind == "executed":
            output = data.get("output")
            if isinstance(output, dict):
                run.outputs[str(data.get("node"))] = output
        elif kind == "execution_success":
            run.succeeded = True
        elif kind == "executing":
            if data.get("node") is None and (run.succeeded or "prompt_id" in data):
                run.finished = True
                return True
        elif kind == "execution_error":
            run.finished = True
            raise execution_error(data, self.p)
        elif kind == "execution_interrupted":
            run.finished = True
            raise self._interrupted()
        return False

    def _prefix(self, run: _Run) -> str:
        return f"Image {run.index + 1}/{self.request.count} · " if self.request.count > 1 else ""

    def _interrupted(self) -> BaseException:
        if self.cancel.cancelled:
            return JobCancelled(self.cancel.reason)
        # Not our doing (someone pressed Cancel in ComfyUI's own page): the job was not
        # cancelled, so it fails, and another attempt may run it again.
        return ProviderError(
            ErrorCode.UNAVAILABLE,
            "The prompt was interrupted on the ComfyUI server (not by this job)",
            retryable=True,
        )

    async def _binary(self, run: _Run, frame: bytes) -> None:
        if len(frame) < 8:
            return
        kind = int.from_bytes(frame[:4], "big")
        if kind == PREVIEW_IMAGE:
            image = frame[8:]  # 4-byte format (1 JPEG, 2 PNG), then the image
        elif kind == PREVIEW_IMAGE_WITH_METADATA:
            size = int.from_bytes(frame[4:8], "big")
            try:
                meta = json.loads(frame[8 : 8 + size])
            except (json.JSONDecodeError, UnicodeDecodeError):
                return
            if isinstance(meta, dict) and meta.get("prompt_id", run.prompt_id) != run.prompt_id:
                return
            image = frame[8 + size :]
        else:
            return  # TEXT (3) and anything newer
        now = time.monotonic()
        if now - run.last_preview < self.p.preview_interval:
            return
        run.last_preview = now
        try:
            data, width, height = await asyncio.to_thread(make_preview, image)
        except (OSError, ValueError) as exc:
            log.debug("skipping an undecodable ComfyUI preview: %s", exc)
            return
        await self.reporter.preview(data, width=width, height=height, step=run.step)

    async def _poll(self, run: _Run) -> bool:
        """Look the prompt up in ``/history``; ``True`` when it is finished. Raises when it
        failed, and ``unavailable`` when the server no longer knows it at all."""
        entry = await self._history(run.prompt_id)
        if entry is None:
            queue = await self._get_json("/queue")
            if isinstance(queue, dict) and any(
                isinstance(item, list) and len(item) > 1 and item[1] == run.prompt_id
                for key in ("queue_running", "queue_pending")
                for item in queue.get(key) or []
            ):
                return False
            entry = await self._history(run.prompt_id)  # it may have just finished
            if entry is None:
                run.finished = True
                raise ProviderError(
                    ErrorCode.UNAVAILABLE,
                    f"ComfyUI no longer knows prompt {run.prompt_id} (was the server restarted?)",
                )
        run.finished = True
        self._raise_if_failed(run, entry)
        outputs = entry.get("outputs")
        if isinstance(outputs, dict):
            run.outputs.update(outputs)
        return True

    def _raise_if_failed(self, run: _Run, entry: Mapping[str, Any]) -> None:
        """Raise the typed error a history entry records (its ``status.messages`` keep the
        ``execution_error`` / ``execution_interrupted`` events)."""
        status = entry.get("status")
        if not isinstance(status, dict) or (
            status.get("status_str") != "error" and status.get("completed") is not False
        ):
            return
        for item in status.get("messages") or []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict):
                if item[0] == "execution_error":
                    raise execution_error(item[1], self.p)
                if item[0] == "execution_interrupted":
                    raise self._interrupted()
        raise ProviderError(ErrorCode.INTERNAL, f"ComfyUI reports prompt {run.prompt_id} failed")

    async def _history(self, prompt_id: str) -> dict[str, Any] | None:
        data = await self._get_json(f"/history/{prompt_id}")
        entry = data.get(prompt_id) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else None

    async def _get_json(self, path: str) -> Any:
        try:
            response = await race(self.http.get(path), self.cancel)
        except (httpx.HTTPError, OSError) as exc:
            raise transport_error(exc, self.where, timeout=self.p.request_timeout) from None
        if response.status_code >= 500:
            raise ProviderError(
                ErrorCode.UNAVAILABLE,
                f"{self.where} failed (HTTP {response.status_code} on {path})",
            )
        return _json_or_none(response) if response.status_code == 200 else None

    async def _result(self, run: _Run) -> GeneratedImage:
        """Download the prompt's output image (the history is the authority)."""
        entry = await self._history(run.prompt_id)
        if entry is not None:
            self._raise_if_failed(run, entry)
            if isinstance(entry.get("outputs"), dict):
                run.outputs = dict(entry["outputs"])
        files = self._pick_images(run.outputs)
        if not files:
            raise ProviderError(
                ErrorCode.INTERNAL,
                f"ComfyUI finished prompt {run.prompt_id} without an output image; does the "
                "workflow end in a SaveImage (or PreviewImage) node?",
                retryable=False,
            )
        if len(files) > 1:
            await self.reporter.log(
                f"The workflow made {len(files)} images for one prompt; keeping the first "
                "(map batch_size so each prompt makes one)",
                "warning",
            )
        chosen = files[0]
        params = {
            "filename": str(chosen.get("filename", "")),
            "subfolder": str(chosen.get("subfolder", "")),
            "type": str(chosen.get("type", "output")),
        }
        try:
            response = await race(self.http.get("/view", params=params), self.cancel)
        except (httpx.HTTPError, OSError) as exc:
            raise transport_error(exc, self.where, timeout=self.p.request_timeout) from None
        if response.status_code != 200:
            raise ProviderError(
                ErrorCode.UNAVAILABLE,
                f"{self.where} could not send output {params['filename']!r} "
                f"(HTTP {response.status_code})",
            )
        data = response.content
        try:
            width, height, fmt = await asyncio.to_thread(image_info, data)
        except (OSError, ValueError, SyntaxError):
            raise ProviderError(
                ErrorCode.INTERNAL, f"ComfyUI output {params['filename']!r} is not an image"
            ) from None
        total = run.total or 1
        await self.reporter.progress(
            total, total, f"{self._prefix(run)}Downloaded from ComfyUI", image_index=run.index
        )
        return GeneratedImage(
            index=run.index,
            seed=self.request.seed + run.index,
            width=width,
            height=height,
            data=data,
            format="jpeg" if fmt in ("jpg", "jpeg") else fmt,
        )

    def _pick_images(self, outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        nodes = [self.p.output_node] if self.p.output_node else sorted(outputs, key=_node_order)
        saved: list[dict[str, Any]] = []
        temp: list[dict[str, Any]] = []
        for node in nodes:
            output = outputs.get(node) if node is not None else None
            images = output.get("images") if isinstance(output, dict) else None
            for image in images or []:
                if isinstance(image, dict) and image.get("filename"):
                    (saved if image.get("type", "output") == "output" else temp).append(image)
        return saved or temp

    async def _abort(self, prompt_id: str) -> None:
        """Take the prompt out of the queue, then interrupt it if it is running."""
        for path, body in (
            ("/queue", {"delete": [prompt_id]}),
            ("/interrupt", {"prompt_id": prompt_id}),
        ):
            try:
                await self.http.post(path, json=body, timeout=5.0)
            except (httpx.HTTPError, OSError) as exc:
                log.warning("could not %s prompt %s: %s", path.strip("/"), prompt_id, exc)


def execution_error(
    data: Mapping[str, Any], provider: ComfyUIProvider | None = None
) -> ProviderError:
    """A ComfyUI ``execution_error`` event as a typed error. Running out of memory is
    ``unavailable`` and retryable (the GPU may be free next time); network-looking failures
    of custom nodes too; anything else in a workflow is deterministic: ``internal``, not
    retryable."""
    node = data.get("node_id")
    node_type = data.get("node_type") or (provider.node_title(node) if provider else "node")
    exc_type = str(data.get("exception_type") or "Exception")
    raw = str(data.get("exception_message") or "").strip()
    first = raw.splitlines()[0] if raw else ""
    text = clip(f"ComfyUI node {node} ({node_type}) failed: {exc_type.rsplit('.', 1)[-1]}: {first}")
    lowered = f"{exc_type} {raw}".lower()
    if "outofmemory" in lowered.replace(" ", "") or "out of memory" in lowered:
        return ProviderError(
            ErrorCode.UNAVAILABLE, f"ComfyUI ran out of memory — {text}", retryable=True
        )
    if any(word in exc_type for word in ("Timeout", "ConnectionError", "ConnectError")):
        return ProviderError(ErrorCode.UNAVAILABLE, text, retryable=True)
    return ProviderError(ErrorCode.INTERNAL, text, retryable=False)


def _node_errors_text(node_errors: Any, provider: ComfyUIProvider) -> str:
    if not isinstance(node_errors, dict):
        return ""
    parts = []
    for node_id, entry in node_errors.items():
        if not isinstance(entry, dict):
            continue
        class_type = entry.get("class_type") or provider.node_title(node_id)
        reasons = [
            f"{e.get('message', 'error')}" + (f" ({e['details']})" if e.get("details") else "")
            for e in entry.get("errors") or []
            if isinstance(e, dict)
        ]
        parts.append(f"node {node_id} ({class_type}): {'; '.join(reasons) or 'invalid'}")
    return "; ".join(parts)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _node_order(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (2**63, node_id)


__all__ = [
    "DEFAULT_MAPPING",
    "ComfyUIProvider",
    "comfyui_info",
    "default_workflow",
    "execution_error",
    "load_workflow",
    "parse_mapping",
]
