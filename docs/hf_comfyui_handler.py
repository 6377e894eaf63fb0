"""ComfyVN Compute: the ComfyUI handler of a Hugging Face custom-container Inference Endpoint.

It implements docs/hf_comfyui_container.md: one HTTP server in the container (port 80, what the
endpoint's "custom container" settings point at) in front of a ComfyUI it starts on 127.0.0.1:8188.

* ``GET /health`` - 200 once ComfyUI answers, 503 before (HF's readiness probe).
* ``POST /`` - ``{"inputs": {"workflow", "files", "outputs"}, "parameters": {"seed", "request_id"}}``
  runs one workflow and answers its outputs inline (base64), or a JSON error naming a missing
  model file or node class.

Build it with the Dockerfile in docs/hf_comfyui_container.md. It needs ``fastapi``, ``uvicorn``,
``requests`` and ``websocket-client`` next to ComfyUI's own requirements.
"""

import asyncio
import base64
import json
import mimetypes
import os
import re
import subprocess
import time
import uuid

import requests
import websocket
from fastapi import FastAPI
from fastapi.responses import JSONResponse

COMFY_DIR = os.environ.get("COMFY_DIR", "/opt/ComfyUI")
COMFY = "127.0.0.1:8188"
KEEP_S = 3600  # answers kept for resends under the same request_id
SAFE_FILE = re.compile(r"^[A-Za-z0-9_ ()-][A-Za-z0-9_. ()-]{0,127}$")  # no dot first: no ".."
SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
KIND_BY_KEY = {"images": "image", "gifs": "video", "video": "video", "audio": "audio"}

api = FastAPI(title="comfyvn-hf-comfyui")
comfy = subprocess.Popen(
    ["python", "main.py", "--listen", "127.0.0.1", "--port", "8188", "--disable-auto-launch"],
    cwd=COMFY_DIR,
)
lock = asyncio.Lock()  # one workflow at a time: ComfyUI runs one prompt at a time anyway
answers: dict[str, tuple[float, int, dict]] = {}
running: dict[str, asyncio.Future] = {}


class Refused(Exception):
    """A graph ComfyUI will not run; ``status`` and ``error`` are the contract's answer."""

    def __init__(self, status: int, error: dict):
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def refusal(answer: dict) -> Refused:
    """ComfyUI's 400 answer to /prompt, by name: missing_node, missing_model, invalid_workflow."""
    error = answer.get("error") or {}
    message = error.get("message", "ComfyUI refused the workflow")
    if error.get("type") == "invalid_prompt" and "does not exist" in message:
        node_class = message.split("node ", 1)[-1].split(" does not exist", 1)[0]
        node_id = (error.get("details") or "").replace("Node ID '#", "").rstrip("'") or None
        return Refused(422, {"code": "missing_node", "message": message, "node_id": node_id,
                             "class_type": node_class, "missing": [node_class]})
    for node_id, node in (answer.get("node_errors") or {}).items():
        for err in node.get("errors", []):
            if err.get("type") == "value_not_in_list":
                info = err.get("extra_info") or {}
                return Refused(422, {
                    "code": "missing_model", "node_id": node_id,
                    "class_type": node.get("class_type"), "input": info.get("input_name"),
                    "message": f"{err.get('message')}: {err.get('details')}",
                    "missing": [str(info.get("received_value"))]})
    return Refused(422, {"code": "invalid_workflow",
                         "message": f"{message}: {json.dumps(answer.get('node_errors'))[:300]}"})


def run(job: dict, request_id: str) -> dict:
    """Runs one workflow on the local ComfyUI; blocking (called in a worker thread)."""
    graph = job.get("workflow")
    if not isinstance(graph, dict) or not graph:
        raise Refused(400, {"code": "invalid_workflow", "message": "inputs.workflow must be an API-format graph"})
    wanted = set(str(n) for n in job.get("outputs") or [])
    for name, data in (job.get("files") or {}).items():
        if not SAFE_FILE.match(name):
            raise Refused(400, {"code": "invalid_input", "message": f"file name not allowed: {name!r}"})
        with open(os.path.join(COMFY_DIR, "input", name), "wb") as f:
            f.write(base64.b64decode(data))
    prompt_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"comfyvn-hf/{request_id}"))
    client_id = uuid.uuid4().hex
    started = time.monotonic()
    ws = websocket.create_connection(f"ws://{COMFY}/ws?clientId={client_id}")
    try:
        answer = requests.post(f"http://{COMFY}/prompt", json={
            "prompt": graph, "client_id": client_id, "prompt_id": prompt_id}, timeout=60)
        if answer.status_code == 400:
            raise refusal(answer.json())
        answer.raise_for_status()
        while True:
            message = ws.recv()
            if not isinstance(message, str):
                continue  # binary preview frames
            event = json.loads(message)
            data = event.get("data", {})
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            if event.get("type") == "executing" and data.get("node") is None:
                break
            if event.get("type") == "execution_error":
                raise Refused(500, {
                    "code": "execution_error", "node_id": data.get("node_id"),
                    "class_type": data.get("node_type"),
                    "message": str(data.get("exception_message", "")).strip()})
    finally:
        ws.close()
    entry = requests.get(f"http://{COMFY}/history/{prompt_id}", timeout=30).json()[prompt_id]
    saved, previews = [], []
    for node_id, node_outputs in entry.get("outputs", {}).items():
        if wanted and node_id not in wanted:
            continue
        class_type = graph.get(node_id, {}).get("class_type")
        for key, items in node_outputs.items():
            for i, item in enumerate(items):
                if key == "text" and isinstance(item, str):
                    saved.append({"node_id": node_id, "class_type": class_type,
                                  "filename": f"node-{node_id}-{i}.txt", "type": "output",
                                  "kind": "text", "mime": "text/plain",
                                  "base64": base64.b64encode(item.encode()).decode()})
                    continue
                if not isinstance(item, dict) or "filename" not in item:
                    continue
                folder = "temp" if item.get("type") == "temp" else "output"
                path = os.path.join(COMFY_DIR, folder, item.get("subfolder", ""), item["filename"])
                with open(path, "rb") as f:
                    data = f.read()
                mime = mimetypes.guess_type(item["filename"])[0] or "application/octet-stream"
                kind = KIND_BY_KEY.get(key, "file")
                if kind == "image" and not mime.startswith("image/"):
                    kind = "video"
                out = {"node_id": node_id, "class_type": class_type, "filename": item["filename"],
                       "type": item.get("type", "output"), "kind": kind, "mime": mime,
                       "base64": base64.b64encode(data).decode()}
                (saved if out["type"] == "output" else previews).append(out)
    return {"request_id": request_id, "prompt_id": prompt_id, "outputs": saved or previews,
            "metrics": {"execution_ms": int((time.monotonic() - started) * 1000)}}


@api.get("/health")
def health():
    try:
        requests.get(f"http://{COMFY}/system_stats", timeout=2).raise_for_status()
        return {"status": "ok"}
    except requests.RequestException:
        return JSONResponse({"status": "starting"}, status_code=503)


@api.post("/")
async def infer(body: dict):
    job = body.get("inputs")
    params = body.get("parameters") or {}
    if not isinstance(job, dict):
        return JSONResponse({"error": {"code": "invalid_workflow", "message": "inputs must be {workflow, files?, outputs?}"}}, status_code=400)
    request_id = str(params.get("request_id") or uuid.uuid4())
    if not SAFE_ID.match(request_id):
        return JSONResponse({"error": {"code": "invalid_request", "message": "parameters.request_id must be 1..128 of A-Z a-z 0-9 _ . : -"}}, status_code=400)
    now = time.time()
    for key in [k for k, (at, _, _) in answers.items() if now - at > KEEP_S]:
        del answers[key]
    if request_id in answers:  # a resend: the same answer, never a second run
        _, status, answer = answers[request_id]
        return JSONResponse({**answer, "replayed": True}, status_code=status)
    if request_id in running:  # a resend while it runs: wait for the same run
        status, answer = await asyncio.shield(running[request_id])
        return JSONResponse({**answer, "replayed": True}, status_code=status)
    future = asyncio.get_running_loop().create_future()
    running[request_id] = future
    try:
        async with lock:
            try:
                status, answer = 200, await asyncio.to_thread(run, job, request_id)
            except Refused as e:
                status, answer = e.status, {"error": e.error}
            except Exception as e:  # noqa: BLE001 - the contract answers every failure in JSON
                status, answer = 500, {"error": {"code": "execution_error", "message": f"{type(e).__name__}: {e}"}}
        answers[request_id] = (time.time(), status, answer)
        future.set_result((status, answer))
        return JSONResponse(answer, status_code=status)
    finally:
        running.pop(request_id, None)
