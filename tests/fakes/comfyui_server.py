"""A local stand-in for a ComfyUI server, faithful to its wire protocol.

It follows ComfyUI's own ``server.py``, ``execution.py``, ``protocol.py`` and
``comfy_execution/progress.py`` (and the notes in ``/work/shared/notes/comfyui-protocol.md``):

HTTP (every route also under ``/api``)
  ``POST /prompt`` validates the API-format workflow like ComfyUI does: unknown or missing
  ``class_type`` → 400 ``invalid_prompt``; no output node → 400 ``prompt_no_outputs``; every
  output invalid → 400 ``prompt_outputs_failed_validation`` with ``node_errors``; some
  outputs invalid → 200 with ``node_errors``. It accepts a client-chosen ``prompt_id``.
  ``GET /history[/{id}]``, ``GET /view``, ``GET/POST /queue`` (``delete``/``clear``),
  ``POST /interrupt`` (with a ``prompt_id`` it only interrupts that prompt if it is running),
  ``GET /system_stats``, ``GET /object_info``, ``GET /features``.

WebSocket ``/ws?clientId=…``
  ``status`` (with ``sid`` on connect, broadcast on queue changes), then for a prompt, to the
  submitting client only: ``execution_start``, ``execution_cached``, ``executing``,
  ``progress`` + ``progress_state`` per sampler step with a binary preview frame (type 1
  ``PREVIEW_IMAGE`` with a 4-byte format, or type 4 ``PREVIEW_IMAGE_WITH_METADATA`` for a
  client whose first message asked for ``supports_preview_metadata``), ``executed``,
  ``execution_success`` and finally ``executing`` with ``node: null``;
  ``execution_error`` (client only) and ``execution_interrupted`` (broadcast) on failure.

Executing a prompt steps every ``KSampler`` ``steps`` times (``step_delay`` seconds each,
interruptible at each step like ComfyUI's progress hook) and writes real PNG files (Pillow)
whose picture depends on the seed and the prompt text; ``SaveImage`` writes ``output``
files, ``PreviewImage`` ``temp`` ones.

Tests change :class:`FakeComfyUI`'s attributes to script failures (``fail``), a silent or
dropped WebSocket, a paused queue, …, and read what it recorded (``interrupts``,
``queue_deletes``, ``interrupted``, ``prompts``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import struct
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from PIL.PngImagePlugin import PngInfo

PREVIEW_IMAGE: Final = 1
PREVIEW_IMAGE_WITH_METADATA: Final = 4
MAX_RESOLUTION: Final = 16384
DEFAULT_CHECKPOINTS: Final = ("v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors")
SAMPLERS: Final = ("euler", "euler_ancestral", "dpmpp_2m", "ddim")
SCHEDULERS: Final = ("normal", "karras", "exponential", "simple")
OOM_MESSAGE: Final = (
    "Allocation on device \nThis error means you ran out of memory on your GPU.\n\n"
    "TIPS: If the workflow worked before you might have accidentally set the batch_size "
    "to a large number."
)


@dataclass(frozen=True)
class Input:
    kind: str  # INT, FLOAT, STRING, a list of choices (COMBO), or a link type (MODEL, CLIP …)
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeType:
    inputs: dict[str, Input]
    outputs: tuple[str, ...] = ()
    output_node: bool = False


def node_types(checkpoints: tuple[str, ...]) -> dict[str, NodeType]:
    link = Input
    return {
        "CheckpointLoaderSimple": NodeType(
            {"ckpt_name": Input("COMBO", choices=checkpoints)}, ("MODEL", "CLIP", "VAE")
        ),
        "CLIPTextEncode": NodeType(
            {"text": Input("STRING"), "clip": link("CLIP")}, ("CONDITIONING",)
        ),
        "EmptyLatentImage": NodeType(
            {
                "width": Input("INT", 16, MAX_RESOLUTION),
                "height": Input("INT", 16, MAX_RESOLUTION),
                "batch_size": Input("INT", 1, 4096),
            },
            ("LATENT",),
        ),
        "KSampler": NodeType(
            {
                "model": link("MODEL"),
                "seed": Input("INT", 0, 2**64 - 1),
                "steps": Input("INT", 1, 10000),
                "cfg": Input("FLOAT", 0.0, 100.0),
                "sampler_name": Input("COMBO", choices=SAMPLERS),
                "scheduler": Input("COMBO", choices=SCHEDULERS),
                "positive": link("CONDITIONING"),
                "negative": link("CONDITIONING"),
                "latent_image": link("LATENT"),
                "denoise": Input("FLOAT", 0.0, 1.0),
            },
            ("LATENT",),
        ),
        "VAEDecode": NodeType({"samples": link("LATENT"), "vae": link("VAE")}, ("IMAGE",)),
        "SaveImage": NodeType(
            {"images": link("IMAGE"), "filename_prefix": Input("STRING")}, output_node=True
        ),
        "PreviewImage": NodeType({"images": link("IMAGE")}, output_node=True),
    }


@dataclass
class Failure:
    """Make the next executions fail at ``at_step`` of the sampler with this exception."""

    exception_type: str = "torch.OutOfMemoryError"
    exception_message: str = OOM_MESSAGE
    at_step: int = 1


class Interrupted(Exception):
    pass


class NodeFailed(Exception):
    def __init__(self, node_id: str, failure: Failure) -> None:
        super().__init__(failure.exception_message)
        self.node_id = node_id
        self.failure = failure


class FakeComfyUI:
    """The fake server's state and its ASGI :attr:`app`."""

    def __init__(
        self,
        *,
        step_delay: float = 0.01,
        checkpoints: tuple[str, ...] = DEFAULT_CHECKPOINTS,
        preview_format: str = "JPEG",
    ) -> None:
        self.types = node_types(checkpoints)
        self.step_delay = step_delay
        self.preview_format = preview_format
        # Behaviour switches (tests flip them between requests).
        self.previews = True
        self.fail: Failure | None = None
        self.silent_ws = False  # send nothing on any WebSocket (ComfyUI #3128)
        self.drop_ws_after_start = False  # close the client's socket after execution_start
        self.skip_final_executing = False  # never send the closing executing(node=null)
        self.paused = False  # leave prompts in the queue
        self.honour_feature_flags = True  # False: an older server, previews as type-1 frames
        self.prompt_status: int | None = None  # answer POST /prompt with this status
        # State, as in ComfyUI's PromptQueue.
        self.number = 0
        self.queue: list[list[Any]] = []
        self.running: list[Any] | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.files: dict[tuple[str, str, str], bytes] = {}
        self.sockets: dict[str, WebSocket] = {}
        self.flags: dict[str, dict[str, Any]] = {}
        self.client_id: str | None = None
        self.last_node_id: str | None = None
        self._interrupt = False
        self._counter = 0
        # Records, for assertions.
        self.prompts: list[dict[str, Any]] = []
        self.interrupts: list[dict[str, Any]] = []
        self.queue_deletes: list[str] = []
        self.interrupted: list[str] = []
        self.connections = 0
        #: The order things happened in: ("ws", client_id) and ("prompt", prompt_id).
        self.timeline: list[tuple[str, str]] = []
        self.app = self._build()

    # -- app -----------------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            worker = asyncio.create_task(self._worker())
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

        app = FastAPI(title="Fake ComfyUI", openapi_url=None, lifespan=lifespan)
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("POST", "/prompt", self.post_prompt),
            ("GET", "/prompt", self.get_prompt),
            ("GET", "/history", self.get_history),
            ("GET", "/history/{prompt_id}", self.get_history_item),
            ("POST", "/history", self.post_history),
            ("GET", "/queue", self.get_queue),
            ("POST", "/queue", self.post_queue),
            ("POST", "/interrupt", self.post_interrupt),
            ("GET", "/view", self.view),
            ("GET", "/system_stats", self.system_stats),
            ("GET", "/object_info", self.object_info),
            ("GET", "/features", self.features),
        ]
        for prefix in ("", "/api"):
            for method, path, handler in routes:
                app.add_api_route(prefix + path, handler, methods=[method])
            app.add_api_websocket_route(prefix + "/ws", self.websocket)
        return app

    # -- HTTP routes -----------------------------------------------------------------------------

    async def post_prompt(self, request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = {}
        self.prompts.append(body)
        if self.prompt_status is not None:
            return Response("Internal Server Error", status_code=self.prompt_status)
        if "number" in body:
            number: float = float(body["number"])
        else:
            number = self.number
            if body.get("front"):
                number = -number
            self.number += 1
        if "prompt" not in body:
            error = {
                "type": "no_prompt",
                "message": "No prompt provided",
                "details": "No prompt provided",
                "extra_info": {},
            }
            return JSONResponse({"error": error, "node_errors": {}}, status_code=400)
        prompt = body["prompt"]
        prompt_id = str(body.get("prompt_id", uuid.uuid4()))
        ok, problem, outputs, node_errors = self.validate(prompt)
        if not ok:
            return JSONResponse({"error": problem, "node_errors": node_errors}, status_code=400)
        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        self.timeline.append(("prompt", prompt_id))
        self.queue.append([number, prompt_id, prompt, extra_data, outputs])
        self.queue.sort(key=lambda item: item[0])
        await self._queue_updated()
        return JSONResponse({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def get_prompt(self) -> Response:
        return JSONResponse(self._queue_info())

    async def get_history(self) -> Response:
        return JSONResponse(self.history)

    async def get_history_item(self, prompt_id: str) -> Response:
        entry = self.history.get(prompt_id)
        return JSONResponse({prompt_id: entry} if entry is not None else {})

    async def post_history(self, request: Request) -> Response:
        body = await request.json()
        if body.get("clear"):
            self.history.clear()
        for prompt_id in body.get("delete", []):
            self.history.pop(prompt_id, None)
        return Response(status_code=200)

    async def get_queue(self) -> Response:
        return JSONResponse(
            {
                "queue_running": [self.running] if self.running is not None else [],
                "queue_pending": list(self.queue),
            }
        )

    async def post_queue(self, request: Request) -> Response:
        body = await request.json()
        if body.get("clear"):
            self.queue.clear()
        for prompt_id in body.get("delete", []):
            self.queue_deletes.append(prompt_id)
            self.queue = [item for item in self.queue if item[1] != prompt_id]
        await self._queue_updated()
        return Response(status_code=200)

    async def post_interrupt(self, request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = {}
        self.interrupts.append(body if isinstance(body, dict) else {})
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        if prompt_id:
            if self.running is not None and self.running[1] == prompt_id:
                self._interrupt = True
        else:
            self._interrupt = True  # global interrupt
        return Response(status_code=200)

    async def view(self, request: Request) -> Response:
        query = request.query_params
        filename = query.get("filename")
        if not filename or filename[0] == "/" or ".." in filename:
            return Response(status_code=400)
        kind = query.get("type", "output")
        if kind not in ("output", "temp", "input"):
            return Response(status_code=400)
        data = self.files.get((kind, query.get("subfolder", ""), filename))
        if data is None:
            return Response(status_code=404)
        return Response(
            data,
            media_type="image/png",
            headers={"Content-Disposition": f'filename="{filename}"'},
        )

    async def system_stats(self) -> Response:
        return JSONResponse(
            {
                "system": {
                    "os": "posix",
                    "ram_total": 16 * 2**30,
                    "ram_free": 8 * 2**30,
                    "comfyui_version": "0.3.64",
                    "python_version": sys.version,
                    "pytorch_version": "2.8.0+cpu",
                    "embedded_python": False,
                    "argv": ["main.py", "--cpu"],
                },
                "devices": [
                    {
                        "name": "cpu",
                        "type": "cpu",
                        "index": None,
                        "vram_total": 16 * 2**30,
                        "vram_free": 8 * 2**30,
                        "torch_vram_total": 16 * 2**30,
                        "torch_vram_free": 8 * 2**30,
                    }
                ],
            }
        )

    async def object_info(self) -> Response:
        info: dict[str, Any] = {}
        for name, node in self.types.items():
            required: dict[str, list[Any]] = {}
            for key, spec in node.inputs.items():
                if spec.kind == "COMBO":
                    required[key] = [list(spec.choices)]
                elif spec.kind in ("INT", "FLOAT"):
                    required[key] = [spec.kind, {"min": spec.min, "max": spec.max}]
                else:
                    required[key] = [spec.kind]
            info[name] = {
                "input": {"required": required},
                "output": list(node.outputs),
                "name": name,
                "display_name": name,
                "output_node": node.output_node,
            }
        return JSONResponse(info)

    async def features(self) -> Response:
        return JSONResponse({"supports_preview_metadata": True, "max_upload_size": 100 * 2**20})

    # -- WebSocket -----------------------------------------------------------------------------

    async def websocket(self, ws: WebSocket) -> None:
        await ws.accept()
        self.connections += 1
        sid = ws.query_params.get("clientId") or uuid.uuid4().hex
        self.sockets.pop(sid, None)
        self.sockets[sid] = ws
        self.flags[sid] = {}
        self.timeline.append(("ws", sid))
        try:
            await self.send("status", {"status": self._queue_info(), "sid": sid}, sid)
            if self.client_id == sid and self.last_node_id is not None:
                await self.send("executing", {"node": self.last_node_id}, sid)
            first = True
            while True:
                text = await ws.receive_text()
                with contextlib.suppress(json.JSONDecodeError, AttributeError):
                    data = json.loads(text)
                    if first and self.honour_feature_flags and data.get("type") == "feature_flags":
                        self.flags[sid] = dict(data.get("data") or {})
                        await self.send(
                            "feature_flags",
                            {"supports_preview_metadata": True, "max_upload_size": 100 * 2**20},
                            sid,
                        )
                first = False
        except WebSocketDisconnect:
            pass
        finally:
            if self.sockets.get(sid) is ws:
                self.sockets.pop(sid, None)
                self.flags.pop(sid, None)

    async def send(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        if self.silent_ws:
            return
        message = json.dumps({"type": event, "data": data})
        for ws in self._targets(sid):
            with contextlib.suppress(Exception):
                await ws.send_text(message)

    async def send_bytes(self, payload: bytes, sid: str | None) -> None:
        if self.silent_ws:
            return
        for ws in self._targets(sid):
            with contextlib.suppress(Exception):
                await ws.send_bytes(payload)

    def _targets(self, sid: str | None) -> list[WebSocket]:
        if sid is None:
            return list(self.sockets.values())
        return [self.sockets[sid]] if sid in self.sockets else []

    # -- validation (execution.validate_prompt, reduced to these node types) -------------

    def validate(
        self, prompt: Any
    ) -> tuple[bool, dict[str, Any] | None, list[str], dict[str, Any]]:
        if not isinstance(prompt, dict):
            prompt = {}
        outputs = []
        for node_id, node in prompt.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return (
                    False,
                    _error(
                        "invalid_prompt",
                        "Cannot execute because a node is missing the class_type property.",
                        f"Node ID '#{node_id}'",
                    ),
                    [],
                    {},
                )
            node_type = self.types.get(node["class_type"])
            if node_type is None:
                return (
                    False,
                    _error(
                        "invalid_prompt",
                        f"Cannot execute because node {node['class_type']} does not exist.",
                        f"Node ID '#{node_id}'",
                    ),
                    [],
                    {},
                )
            if node_type.output_node:
                outputs.append(node_id)
        if not outputs:
            return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}
        good: list[str] = []
        failed: list[tuple[str, list[dict[str, Any]]]] = []
        node_errors: dict[str, Any] = {}
        validated: dict[str, list[dict[str, Any]]] = {}
        for output in outputs:
            self._validate_node(prompt, output, validated)
            bad = {
                n: errs
                for n, errs in validated.items()
                if errs and self._upstream(prompt, output, n)
            }
            if not bad:
                good.append(output)
                continue
            failed.append((output, [e for errs in bad.values() for e in errs]))
            for node_id, errs in bad.items():
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": errs,
                        "dependent_outputs": [],
                        "class_type": prompt[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)
        if not good:
            details = "\n".join(
                f"{e['message']}: {e['details']}" for _, errs in failed for e in errs
            )
            return (
                False,
                _error(
                    "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
                ),
                [],
                node_errors,
            )
        return True, None, good, node_errors

    def _validate_node(
        self, prompt: dict[str, Any], node_id: str, validated: dict[str, list[dict[str, Any]]]
    ) -> None:
        if node_id in validated:
            return
        validated[node_id] = []
        node = prompt[node_id]
        spec = self.types[node["class_type"]]
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        errors = validated[node_id]
        for name, kind in spec.inputs.items():
            if name not in inputs:
                errors.append(
                    {
                        "type": "required_input_missing",
                        "message": "Required input is missing",
                        "details": name,
                        "extra_info": {"input_name": name},
                    }
                )
                continue
            value = inputs[name]
            if kind.kind not in ("INT", "FLOAT", "STRING", "COMBO"):
                if (
                    not isinstance(value, list)
                    or len(value) != 2
                    or str(value[0]) not in prompt
                    or not isinstance(value[1], int)
                ):
                    errors.append(
                        {
                            "type": "bad_linked_input",
                            "message": "Bad linked input, must be a length-2 list of [string, int]",
                            "details": name,
                            "extra_info": {"input_name": name, "received_value": value},
                        }
                    )
                    continue
                self._validate_node(prompt, str(value[0]), validated)
                continue
            errors.extend(_check_value(name, kind, value))

    def _upstream(self, prompt: dict[str, Any], output: str, node_id: str) -> bool:
        """Whether ``node_id`` is ``output`` or feeds it."""
        seen, todo = set(), [output]
        while todo:
            current = todo.pop()
            if current == node_id:
                return True
            if current in seen or current not in prompt:
                continue
            seen.add(current)
            for value in (prompt[current].get("inputs") or {}).values():
                if isinstance(value, list) and len(value) == 2:
                    todo.append(str(value[0]))
        return False

    # -- execution ------------------------------------------------------------------------------

    def _queue_info(self) -> dict[str, Any]:
        remaining = len(self.queue) + (1 if self.running is not None else 0)
        return {"exec_info": {"queue_remaining": remaining}}

    async def _queue_updated(self) -> None:
        await self.send("status", {"status": self._queue_info()})

    async def _worker(self) -> None:
        while True:
            if self.paused or not self.queue:
                await asyncio.sleep(0.005)
                continue
            item = self.queue.pop(0)
            self.running = item
            await self._queue_updated()
            try:
                await self._execute(item)
            finally:
                self.running = None
                self.last_node_id = None
                await self._queue_updated()
            if self.client_id is not None and not self.skip_final_executing:
                await self.send("executing", {"node": None, "prompt_id": item[1]}, self.client_id)

    async def _execute(self, item: list[Any]) -> None:
        _, prompt_id, prompt, extra_data, outputs = item
        self._interrupt = False
        self.client_id = extra_data.get("client_id")
        messages: list[list[Any]] = []
        executed: list[str] = []
        ui: dict[str, Any] = {}

        async def message(event: str, data: dict[str, Any], broadcast: bool = False) -> None:
            data = {**data, "timestamp": int(time.time() * 1000)}
            messages.append([event, data])
            if self.client_id is not None or broadcast:
                await self.send(event, data, self.client_id)

        await message("execution_start", {"prompt_id": prompt_id})
        if self.drop_ws_after_start and self.client_id in self.sockets:
            with contextlib.suppress(Exception):
                await self.sockets[self.client_id].close(code=1011)
        await message("execution_cached", {"nodes": [], "prompt_id": prompt_id})
        values = _graph_values(prompt)
        success = True
        try:
            for node_id in _order(prompt, outputs):
                await self._run_node(prompt, prompt_id, node_id, values, ui)
                executed.append(node_id)
        except Interrupted as stop:
            success = False
            node_id = str(stop)
            self.interrupted.append(prompt_id)
            await message(
                "execution_interrupted",
                {
                    "prompt_id": prompt_id,
                    "node_id": node_id,
                    "node_type": prompt[node_id]["class_type"],
                    "executed": executed,
                },
                broadcast=True,
            )
        except NodeFailed as failed:
            success = False
            await message(
                "execution_error",
                {
                    "prompt_id": prompt_id,
                    "node_id": failed.node_id,
                    "node_type": prompt[failed.node_id]["class_type"],
                    "executed": executed,
                    "exception_message": failed.failure.exception_message,
                    "exception_type": failed.failure.exception_type,
                    "traceback": ['  File "execution.py", line 1, in execute\n'],
                    "current_inputs": {},
                    "current_outputs": [],
                },
            )
        else:
            await message("execution_success", {"prompt_id": prompt_id})
        self.history[prompt_id] = {
            "prompt": item,
            "outputs": ui,
            "status": {
                "status_str": "success" if success else "error",
                "completed": success,
                "messages": messages,
            },
            "meta": {node: {"node_id": node, "display_node": node} for node in ui},
        }

    async def _run_node(
        self,
        prompt: dict[str, Any],
        prompt_id: str,
        node_id: str,
        values: dict[str, Any],
        ui: dict[str, Any],
    ) -> None:
        class_type = prompt[node_id]["class_type"]
        inputs = prompt[node_id]["inputs"]
        self.last_node_id = node_id
        await self.send(
            "executing",
            {"node": node_id, "display_node": node_id, "prompt_id": prompt_id},
            self.client_id,
        )
        if class_type == "KSampler":
            steps = int(inputs["steps"])
            for step in range(1, steps + 1):
                await asyncio.sleep(self.step_delay)
                if (
                    self._interrupt
                ):  # comfy.model_management.throw_exception_if_processing_interrupted
                    raise Interrupted(node_id)
                if self.fail is not None and step >= self.fail.at_step:
                    raise NodeFailed(node_id, self.fail)
                await self.send(
                    "progress",
                    {"value": step, "max": steps, "prompt_id": prompt_id, "node": node_id},
                    self.client_id,
                )
                await self.send(
                    "progress_state",
                    {
                        "prompt_id": prompt_id,
                        "nodes": {
                            node_id: {
                                "value": step,
                                "max": steps,
                                "state": "running",
                                "node_id": node_id,
                                "prompt_id": prompt_id,
                                "display_node_id": node_id,
                                "parent_node_id": None,
                                "real_node_id": node_id,
                            }
                        },
                    },
                    self.client_id,
                )
                if self.previews:
                    await self._preview(prompt_id, node_id, values, step / steps)
        elif class_type in ("SaveImage", "PreviewImage"):
            kind = "output" if class_type == "SaveImage" else "temp"
            prefix = (
                str(inputs.get("filename_prefix", "ComfyUI"))
                if kind == "output"
                else "ComfyUI_temp"
            )
            images = []
            for b in range(values["batch_size"]):
                self._counter += 1
                filename = f"{prefix}_{self._counter:05}_.png"
                self.files[(kind, "", filename)] = render(values, b, prompt=prompt)
                images.append({"filename": filename, "subfolder": "", "type": kind})
            ui[node_id] = {"images": images}
            await self.send(
                "executed",
                {
                    "node": node_id,
                    "display_node": node_id,
                    "output": {"images": images},
                    "prompt_id": prompt_id,
                },
                self.client_id,
            )
        else:
            await asyncio.sleep(0)

    async def _preview(
        self, prompt_id: str, node_id: str, values: dict[str, Any], done: float
    ) -> None:
        if self.client_id is None:
            return
        with Image.open(io.BytesIO(render(values, 0, size=(64, 64)))) as decoded:
            picture = decoded.convert("RGB").filter(ImageFilter.GaussianBlur(6 * (1 - done)))
        out = io.BytesIO()
        picture.save(out, self.preview_format, quality=95)
        image = out.getvalue()
        if self.flags.get(self.client_id, {}).get("supports_preview_metadata"):
            mime = "image/png" if self.preview_format == "PNG" else "image/jpeg"
            meta = json.dumps(
                {
                    "node_id": node_id,
                    "prompt_id": prompt_id,
                    "display_node_id": node_id,
                    "parent_node_id": None,
                    "real_node_id": node_id,
                    "image_type": mime,
                }
            ).encode()
            frame = (
                struct.pack(">I", PREVIEW_IMAGE_WITH_METADATA)
                + struct.pack(">I", len(meta))
                + meta
                + image
            )
        else:
            fmt = 2 if self.preview_format == "PNG" else 1
            frame = struct.pack(">I", PREVIEW_IMAGE) + struct.pack(">I", fmt) + image
        await self.send_bytes(frame, self.client_id)


# -- helpers -----------------------------------------------------------------------------------


def _error(type_: str, message: str, details: str) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": {}}


def _check_value(name: str, spec: Input, value: Any) -> list[dict[str, Any]]:
    info = {"input_name": name, "received_value": value}
    if spec.kind == "COMBO":
        if value not in spec.choices:
            return [
                {
                    "type": "value_not_in_list",
                    "message": "Value not in list",
                    "details": f"{name}: '{value}' not in {list(spec.choices)}",
                    "extra_info": info,
                }
            ]
        return []
    if spec.kind == "STRING":
        return [] if isinstance(value, str) else [_convert_error(name, "STRING", info)]
    try:
        number = int(value) if spec.kind == "INT" else float(value)
    except (TypeError, ValueError):
        return [_convert_error(name, spec.kind, info)]
    if spec.min is not None and number < spec.min:
        return [
            {
                "type": "value_smaller_than_min",
                "message": f"Value {number} smaller than min of {spec.min}",
                "details": name,
                "extra_info": info,
            }
        ]
    if spec.max is not None and number > spec.max:
        return [
            {
                "type": "value_bigger_than_max",
                "message": f"Value {number} bigger than max of {spec.max}",
                "details": name,
                "extra_info": info,
            }
        ]
    return []


def _convert_error(name: str, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "invalid_input_type",
        "message": f"Failed to convert an input {name} value to a {kind} value",
        "details": f"{name}, {info['received_value']}",
        "extra_info": info,
    }


def _order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    """The nodes the outputs need, dependencies first."""
    order: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in order:
            return
        for value in prompt[node_id]["inputs"].values():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                visit(str(value[0]))
        order.append(node_id)

    for output in sorted(outputs):
        visit(output)
    return order


def _graph_values(prompt: dict[str, Any]) -> dict[str, Any]:
    """What the picture depends on: the sampler's seed, the positive text, the latent size."""
    values: dict[str, Any] = {"seed": 0, "text": "", "width": 512, "height": 512, "batch_size": 1}
    for node in prompt.values():
        inputs = node["inputs"]
        if node["class_type"] == "KSampler":
            values["seed"] = int(inputs["seed"])
            positive = prompt.get(str(inputs["positive"][0]), {})
            values["text"] = str(positive.get("inputs", {}).get("text", ""))
            latent = prompt.get(str(inputs["latent_image"][0]), {}).get("inputs", {})
            for key in ("width", "height", "batch_size"):
                if key in latent:
                    values[key] = int(latent[key])
    return values


def render(
    values: dict[str, Any],
    batch_index: int,
    *,
    size: tuple[int, int] | None = None,
    prompt: dict[str, Any] | None = None,
) -> bytes:
    """A real PNG whose picture follows the seed and the prompt text (like a sampler)."""
    width, height = size or (values["width"], values["height"])
    digest = hashlib.sha256(
        f"{values['seed']}\x00{values['text']}\x00{batch_index}".encode()
    ).digest()
    small = (
        Image.linear_gradient("L")
        .rotate(digest[12] % 4 * 90)
        .resize((max(2, width // 8), max(2, height // 8)))
    )
    picture = ImageOps.colorize(small, black=tuple(digest[0:3]), white=tuple(digest[3:6]))
    draw = ImageDraw.Draw(picture)
    cx, cy = digest[6] % picture.width, digest[7] % picture.height
    r = 2 + digest[8] % max(3, picture.width // 3)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(digest[9:12]))
    picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    info = PngInfo()
    if prompt is not None:
        info.add_text("prompt", json.dumps(prompt))
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=info, compress_level=1)
    return out.getvalue()


def main() -> None:  # pragma: no cover - manual use
    import uvicorn

    parser = argparse.ArgumentParser(description="Run the fake ComfyUI server.")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--step-delay", type=float, default=0.2)
    args = parser.parse_args()
    fake = FakeComfyUI(step_delay=args.step_delay)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    main()
