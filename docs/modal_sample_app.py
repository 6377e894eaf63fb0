"""ComfyVN Compute: a Modal app that runs ComfyUI workflows behind docs/modal_web_endpoint_contract.md.

What it deploys (app name ``comfyvn-jobs``):

* ``ComfyWorker`` - a GPU class with ComfyUI installed in its image (by comfy-cli). Each container
  starts ComfyUI once (``@modal.enter``) and its method ``comfyvn_render`` runs one job: a
  workflow job ``{"workflow": <API-format graph>, "inputs": {name: base64}, "outputs": [node ids],
  "seed": n}`` is queued on that ComfyUI as given; a prompt job ``{"prompt", "seed", "steps",
  "width", "height"}`` fills a built-in SDXL text-to-image graph. It reports progress (node n of m,
  sampler step k of K) from ComfyUI's socket into the ``comfyvn-progress`` Dict and writes every
  output file (images, video, audio, text) to the ``comfyvn-outputs`` Volume under ``/<call id>/``.
* ``web`` - a FastAPI app behind Modal's proxy auth (``requires_proxy_auth=True``) with the
  contract's routes: ``POST /run`` (with ``client_request_id``: a resend answers the call already
  spawned), ``GET /lookup/{client_request_id}``, ``GET /requests/{id}/status`` (``started``,
  ``progress``), ``GET /requests/{id}`` (``outputs[]``), ``POST /requests/{id}/cancel`` and
  ``GET /files/{call id}/{name}``.

Models live on the ``comfyvn-models`` Volume, in ComfyUI's folder layout, and ComfyUI reads them
through ``extra_model_paths.yaml``:

    pip install modal && modal setup
    modal volume create comfyvn-models
    modal volume put comfyvn-models sd_xl_base_1.0.safetensors /checkpoints/
    modal volume put comfyvn-models sdxl_vae.safetensors /vae/

A graph that names a model file the Volume lacks, or a node class the image lacks, fails as soon as
ComfyUI validates it (before any sampling) with ``error_detail`` naming it. Custom nodes: add
``comfy node install <name>`` lines to ``CUSTOM_NODES`` below and deploy again.

Deploy and wire it up:

    modal deploy docs/modal_sample_app.py
    # URL printed as https://<workspace>--comfyvn-jobs.modal.run
    # Create a proxy auth token (wk-... / ws-...) in the Modal dashboard:
    #   Settings -> Proxy Auth Tokens

Then, in config/comfyvn.json:

    "modal": {"mode": "live", "base_url": "https://<workspace>--comfyvn-jobs.modal.run",
              "function": "comfyvn_render", "hardware": "L40S"}

and in config/comfyvn.secrets.json:

    "modal": {"token_id": "wk-...", "token_secret": "ws-..."}

Try it by hand (a workflow exported with ComfyUI's "Export (API)", an input image it loads):

    curl -s -XPOST "$URL/run" -H "Modal-Key: $WK" -H "Modal-Secret: $WS" \
         -H 'Content-Type: application/json' \
         -d "{\"function\":\"comfyvn_render\",\"client_request_id\":\"try-1\",
              \"input\":{\"workflow\":$(cat sdxl_img2img.json),
                         \"inputs\":{\"castle_sketch.png\":\"$(base64 -w0 sketch.png)\"}}}"
    curl -s "$URL/requests/fc-.../status" -H "Modal-Key: $WK" -H "Modal-Secret: $WS"
    curl -sL "$URL/requests/fc-...?wait=600" -H "Modal-Key: $WK" -H "Modal-Secret: $WS"

``curl -L`` follows Modal's 303 (sent after 150 s) with GET, as the contract asks.
"""

import base64
import json
import mimetypes
import re
import time
import uuid

import modal

APP_NAME = "comfyvn-jobs"
WORKER = "ComfyWorker"
# The functions POST /run may spawn (methods of ComfyWorker); anything else answers 404.
ALLOWED_FUNCTIONS = {"comfyvn_render"}
COMFY_DIR = "/root/comfy/ComfyUI"
COMFY_PORT = 8188
MODELS_DIR = "/models"
OUTPUT_DIR = "/outputs"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
SAFE_FILE = re.compile(r"^[A-Za-z0-9_ ()-][A-Za-z0-9_. ()-]{0,127}$")  # no dot first: no ".."
# Model folders ComfyUI looks in, mapped onto the models Volume.
MODEL_FOLDERS = [
    "checkpoints", "loras", "vae", "controlnet", "upscale_models", "diffusion_models",
    "text_encoders", "clip_vision", "style_models", "embeddings", "gligen", "hypernetworks",
    "photomaker", "animatediff_models",
]
# e.g. "comfy node install --fast-deps comfyui-videohelpersuite"
CUSTOM_NODES: list[str] = []
# Output files by the key ComfyUI's history lists them under.
KIND_BY_KEY = {"images": "image", "gifs": "video", "video": "video", "audio": "audio"}

app = modal.App(APP_NAME)
outputs_volume = modal.Volume.from_name("comfyvn-outputs", create_if_missing=True)
models_volume = modal.Volume.from_name("comfyvn-models", create_if_missing=True)
calls_by_client = modal.Dict.from_name("comfyvn-calls", create_if_missing=True)
progress_dict = modal.Dict.from_name("comfyvn-progress", create_if_missing=True)

extra_model_paths = "comfyvn:\n  base_path: {}\n{}".format(
    MODELS_DIR, "".join(f"  {folder}: {folder}/\n" for folder in MODEL_FOLDERS)
)

comfy_image = (
    modal.Image.debian_slim(python_version="3.11")
    .apt_install("git", "ffmpeg")
    .pip_install("comfy-cli==1.3.8", "requests", "websocket-client")
    .run_commands("comfy --skip-prompt install --fast-deps --nvidia")
    .run_commands(
        f"printf '%s' {json.dumps(extra_model_paths)} > {COMFY_DIR}/extra_model_paths.yaml",
        *CUSTOM_NODES,
    )
)
web_image = modal.Image.debian_slim(python_version="3.12").pip_install("fastapi[standard]")


class WorkflowRefused(Exception):
    """ComfyUI refused the graph (a missing model file or node class); ``detail`` names it."""

    def __init__(self, message: str, detail: dict):
        super().__init__(message)
        self.detail = detail


def builtin_graph(job: dict) -> dict:
    """A prompt job as an SDXL text-to-image graph (API format), like Modal's own ComfyUI example."""
    prompt = str(job.get("prompt") or "")
    if not prompt:
        raise ValueError("input needs a workflow, or a prompt")
    return {
        "3": {"class_type": "KSampler", "inputs": {
            "seed": int(job.get("seed", 0)) & 0xFFFFFFFF, "steps": int(job.get("steps", 20)),
            "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
            "latent_image": ["5", 0]}},
        "4": {"class_type": "CheckpointLoaderSimple",
              "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {
            "width": int(job.get("width", 1024)), "height": int(job.get("height", 1024)),
            "batch_size": max(1, min(4, int(job.get("num_outputs", 1))))}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode",
              "inputs": {"text": str(job.get("negative_prompt", "")), "clip": ["4", 1]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage",
              "inputs": {"filename_prefix": "ComfyVN", "images": ["8", 0]}},
    }


def refusal(answer: dict) -> WorkflowRefused:
    """ComfyUI's 400 answer to /prompt as a refusal naming the missing model or node class."""
    error = answer.get("error") or {}
    message = error.get("message", "ComfyUI refused the workflow")
    if error.get("type") == "invalid_prompt" and "does not exist" in message:
        node_class = message.split("node ", 1)[-1].split(" does not exist", 1)[0]
        node_id = (error.get("details") or "").replace("Node ID '#", "").rstrip("'") or None
        return WorkflowRefused(message, {"code": "missing_node", "node_id": node_id,
                                         "class_type": node_class, "missing": [node_class]})
    for node_id, node in (answer.get("node_errors") or {}).items():
        for err in node.get("errors", []):
            if err.get("type") == "value_not_in_list":
                field = (err.get("extra_info") or {}).get("input_name")
                value = (err.get("extra_info") or {}).get("received_value")
                return WorkflowRefused(
                    f"{node.get('class_type')}: {err.get('message')}: {err.get('details')}",
                    {"code": "missing_model", "node_id": node_id,
                     "class_type": node.get("class_type"), "input": field,
                     "missing": [str(value)]})
    return WorkflowRefused(f"{message}: {json.dumps(answer.get('node_errors'))[:300]}",
                           {"code": "invalid_workflow"})


@app.cls(
    gpu="L40S",
    image=comfy_image,
    volumes={OUTPUT_DIR: outputs_volume, MODELS_DIR: models_volume},
    timeout=1800,
    scaledown_window=300,
)
class ComfyWorker:
    @modal.enter()
    def start_comfyui(self):
        import subprocess

        import requests

        subprocess.run(
            f"comfy launch --background -- --listen 127.0.0.1 --port {COMFY_PORT}",
            shell=True, check=True,
        )
        for _ in range(240):  # ComfyUI loads its nodes before it answers
            try:
                requests.get(f"http://127.0.0.1:{COMFY_PORT}/system_stats", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise RuntimeError("ComfyUI did not start")

    @modal.method()
    def comfyvn_render(self, input: dict) -> dict:
        import os
        import shutil

        import requests
        import websocket

        call_id = modal.current_function_call_id()
        base = f"http://127.0.0.1:{COMFY_PORT}"
        graph = input["workflow"] if "workflow" in input else builtin_graph(input)
        wanted = set(str(n) for n in input.get("outputs") or [])
        # the inputs go into ComfyUI's input folder under the names the graph's loaders read
        for name, data in (input.get("inputs") or {}).items():
            if not SAFE_FILE.match(name):
                raise ValueError(f"input name not allowed: {name!r}")
            with open(os.path.join(COMFY_DIR, "input", name), "wb") as f:
                f.write(base64.b64decode(data))
        progress_dict[call_id] = {"started": True}

        prompt_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"comfyvn-modal/{call_id}"))
        ws = websocket.create_connection(f"ws://127.0.0.1:{COMFY_PORT}/ws?clientId={call_id}")
        try:
            answer = requests.post(f"{base}/prompt", json={
                "prompt": graph, "client_id": call_id, "prompt_id": prompt_id}, timeout=60)
            if answer.status_code == 400:
                refused = refusal(answer.json())
                progress_dict[call_id] = {"started": True, "error_detail": refused.detail}
                raise refused
            answer.raise_for_status()
            self.follow(ws, call_id, prompt_id, graph)
        finally:
            ws.close()

        entry = requests.get(f"{base}/history/{prompt_id}", timeout=30).json()[prompt_id]
        folder = os.path.join(OUTPUT_DIR, call_id)
        os.makedirs(folder, exist_ok=True)
        saved, previews = [], []
        for node_id, node_outputs in entry.get("outputs", {}).items():
            if wanted and node_id not in wanted:
                continue
            class_type = graph.get(node_id, {}).get("class_type")
            for key, items in node_outputs.items():
                for i, item in enumerate(items):
                    if key == "text" and isinstance(item, str):
                        name = f"node-{node_id}-{i}.txt"
                        with open(os.path.join(folder, name), "w") as f:
                            f.write(item)
                        saved.append({"node_id": node_id, "class_type": class_type,
                                      "filename": name, "type": "output", "kind": "text",
                                      "mime": "text/plain"})
                        continue
                    if not isinstance(item, dict) or "filename" not in item:
                        continue  # "animated": [true] and other flags
                    kind_dir = "temp" if item.get("type") == "temp" else "output"
                    src = os.path.join(COMFY_DIR, kind_dir, item.get("subfolder", ""),
                                       item["filename"])
                    shutil.copyfile(src, os.path.join(folder, item["filename"]))
                    mime = mimetypes.guess_type(item["filename"])[0] or "application/octet-stream"
                    kind = KIND_BY_KEY.get(key, "file")
                    if kind == "image" and not mime.startswith("image/"):
                        kind = "video"
                    out = {"node_id": node_id, "class_type": class_type,
                           "filename": item["filename"], "subfolder": item.get("subfolder", ""),
                           "type": item.get("type", "output"), "kind": kind, "mime": mime}
                    (saved if out["type"] == "output" else previews).append(out)
        outputs_volume.commit()
        try:
            progress_dict.pop(call_id)
        except KeyError:
            pass
        return {"call_id": call_id, "seed": input.get("seed"), "outputs": saved or previews}

    @staticmethod
    def follow(ws, call_id: str, prompt_id: str, graph: dict) -> None:
        """Reads ComfyUI's socket until the prompt ends; writes node n of m, step k of K."""
        total, done, step, last = len(graph), 0, {}, 0.0
        while True:
            message = ws.recv()
            if not isinstance(message, str):
                continue  # binary preview frames
            event = json.loads(message)
            data = event.get("data", {})
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            kind = event.get("type")
            if kind == "execution_cached":
                done += len(data.get("nodes", []))
            elif kind == "executing":
                if data.get("node") is None:
                    return
                step = {"node_id": data["node"],
                        "class_type": graph.get(data["node"], {}).get("class_type")}
                done += 1
            elif kind == "progress":
                step.update({"step": data.get("value"), "steps": data.get("max")})
            elif kind == "execution_error":
                raise RuntimeError(f"{data.get('node_type')} (node {data.get('node_id')}): "
                                   f"{data.get('exception_message', '').strip()}")
            elif kind == "execution_interrupted":
                raise RuntimeError("ComfyUI interrupted the prompt")
            now = time.monotonic()
            if now - last > 0.5:
                progress_dict[call_id] = {"started": True, "progress": {
                    "nodes_done": max(0, done - 1), "nodes_total": total, **step}}
                last = now


async def _status_of(call) -> str:
    """Modal's InputStatus name for the call (PENDING when not known yet)."""
    try:
        graph = await call.get_call_graph.aio()
        status = graph[0].children[0].status if graph and graph[0].children else None
        return status.name if status is not None else "PENDING"
    except modal.exception.NotFoundError:
        raise
    except Exception:  # the call graph is best effort; the result route is authoritative
        return "PENDING"


@app.function(image=web_image, volumes={OUTPUT_DIR: outputs_volume}, timeout=3600)
@modal.asgi_app(label=APP_NAME, requires_proxy_auth=True)
def web():
    import os

    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, JSONResponse

    api = FastAPI(title="comfyvn-jobs")

    def find(request_id: str):
        if not request_id.startswith("fc-"):
            return None
        try:
            return modal.FunctionCall.from_id(request_id)
        except modal.exception.NotFoundError:
            return None

    def not_found(request_id: str):
        return JSONResponse({"error": f"function call not found: {request_id}"}, status_code=404)

    async def status_json(request_id: str, call) -> dict:
        out = {"request_id": request_id, "status": await _status_of(call)}
        seen = await progress_dict.get.aio(request_id)
        out["started"] = bool(seen) or out["status"] != "PENDING"
        if seen and "progress" in seen and out["status"] == "PENDING":
            out["progress"] = seen["progress"]
        return out

    @api.post("/run")
    async def run(body: dict):
        name = body.get("function") or "comfyvn_render"
        if name not in ALLOWED_FUNCTIONS:
            return JSONResponse({"error": f"function not found: {name}"}, status_code=404)
        job_input = body.get("input")
        if not isinstance(job_input, dict):
            return JSONResponse({"error": "input must be a JSON object"}, status_code=422)
        key = body.get("client_request_id")
        if key is not None and not (isinstance(key, str) and SAFE_NAME.match(key)):
            return JSONResponse({"error": "client_request_id must be 1..128 of A-Z a-z 0-9 _ . : -"},
                                status_code=422)
        if key is not None:
            earlier = await calls_by_client.get.aio(key)
            if earlier is not None:
                return {"request_id": earlier, "created": False}
        worker = modal.Cls.from_name(APP_NAME, WORKER)()
        call = await getattr(worker, name).spawn.aio(job_input)
        if key is not None:
            await calls_by_client.put.aio(key, call.object_id)
        return {"request_id": call.object_id, "created": True}

    @api.get("/lookup/{client_request_id}")
    async def lookup(client_request_id: str):
        request_id = await calls_by_client.get.aio(client_request_id)
        call = find(request_id) if request_id else None
        if call is None:
            return JSONResponse(
                {"error": f"no call for client_request_id {client_request_id}"}, status_code=404)
        return await status_json(request_id, call)

    @api.get("/requests/{request_id}/status")
    async def status(request_id: str):
        call = find(request_id)
        if call is None:
            return not_found(request_id)
        try:
            return await status_json(request_id, call)
        except modal.exception.NotFoundError:
            return not_found(request_id)

    @api.get("/requests/{request_id}")
    async def result(request_id: str, request: Request, wait: float = 0.0):
        call = find(request_id)
        if call is None:
            return not_found(request_id)
        try:
            # A wait past 150 s is fine: Modal's proxy answers 303 and the follow-up GET
            # lands back on this call's result.
            out = await call.get.aio(timeout=max(0.0, min(wait, 3500.0)))
        except modal.exception.OutputExpiredError:
            return JSONResponse({"error": "output expired"}, status_code=410)
        except modal.exception.FunctionTimeoutError as e:
            return {"request_id": request_id, "status": "TIMEOUT", "error": f"FunctionTimeoutError: {e}"}
        except modal.exception.NotFoundError:
            return not_found(request_id)
        except TimeoutError:  # not finished yet (modal.exception.TimeoutError included)
            return JSONResponse({"request_id": request_id, "status": "PENDING"}, status_code=202)
        except modal.exception.InputCancellation as e:
            return {"request_id": request_id, "status": "TERMINATED", "error": f"InputCancellation: {e}"}
        except Exception as e:  # the function raised: FAILURE (or INIT_FAILURE per the call graph)
            failed = await _status_of(call)
            failed = failed if failed in ("FAILURE", "INIT_FAILURE", "TERMINATED") else "FAILURE"
            answer = {"request_id": request_id, "status": failed, "error": f"{type(e).__name__}: {e}"}
            seen = await progress_dict.get.aio(request_id)
            if seen and "error_detail" in seen:
                answer["error_detail"] = seen["error_detail"]
            return answer
        base = str(request.base_url).rstrip("/")
        outputs = [
            {**o, "url": f"{base}/files/{out['call_id']}/{o['filename']}"} for o in out["outputs"]
        ]
        images = [{"url": o["url"], "seed": out["seed"]} for o in outputs if o["kind"] == "image"]
        return {"request_id": request_id, "status": "SUCCESS",
                "response": {"outputs": outputs, "images": images}}

    @api.post("/requests/{request_id}/cancel")
    async def cancel(request_id: str):
        call = find(request_id)
        if call is None:
            return not_found(request_id)
        await call.cancel.aio()
        return {"request_id": request_id, "status": "TERMINATED"}

    @api.get("/files/{call_id}/{name}")
    async def file(call_id: str, name: str):
        if not (call_id.startswith("fc-") and SAFE_NAME.match(call_id) and SAFE_FILE.match(name)):
            return JSONResponse({"error": "not found"}, status_code=404)
        await outputs_volume.reload.aio()
        path = os.path.join(OUTPUT_DIR, call_id, name)
        if not os.path.isfile(path):
            return JSONResponse({"error": "not found"}, status_code=404)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=mime)

    return api
