"""ComfyVN Compute: a Modal app implementing docs/modal_web_endpoint_contract.md.

What it deploys (app name ``comfyvn-jobs``):

* ``comfyvn_render`` - the GPU function. It takes the job's ``input`` dict
  (``prompt``, optional ``seed``, ``steps``, ``num_outputs``) and writes PNGs to
  the ``comfyvn-outputs`` Volume under ``/<function call id>/``.
* ``web`` - a FastAPI app behind Modal's proxy auth (``requires_proxy_auth=True``)
  with the contract's routes: ``POST /run``, ``GET /requests/{id}/status``,
  ``GET /requests/{id}``, ``POST /requests/{id}/cancel``, plus ``GET /files/...``
  serving the images.

Deploy and wire it up:

    pip install modal && modal setup
    modal deploy docs/modal_sample_app.py
    # URL printed as https://<workspace>--comfyvn-jobs.modal.run
    # Create a proxy auth token (wk-... / ws-...) in the Modal dashboard:
    #   Settings -> Proxy Auth Tokens

Then, in config/comfyvn.json:

    "modal": {"mode": "live", "base_url": "https://<workspace>--comfyvn-jobs.modal.run",
              "function": "comfyvn_render", "hardware": "L40S"}

and in config/comfyvn.secrets.json:

    "modal": {"token_id": "wk-...", "token_secret": "ws-..."}

Try it by hand:

    curl -s -XPOST "$URL/run" -H "Modal-Key: $WK" -H "Modal-Secret: $WS" \
         -H 'Content-Type: application/json' \
         -d '{"function":"comfyvn_render","input":{"prompt":"a lighthouse at dusk","seed":7}}'
    curl -s "$URL/requests/fc-.../status" -H "Modal-Key: $WK" -H "Modal-Secret: $WS"
    curl -sL "$URL/requests/fc-...?wait=600" -H "Modal-Key: $WK" -H "Modal-Secret: $WS"

``curl -L`` follows Modal's 303 (sent after 150 s) with GET, as the contract asks.
"""

import re

import modal

APP_NAME = "comfyvn-jobs"
# The functions POST /run may spawn; anything else answers 404.
ALLOWED_FUNCTIONS = {"comfyvn_render"}
MODEL_ID = "stabilityai/sdxl-turbo"
OUTPUT_DIR = "/outputs"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

app = modal.App(APP_NAME)
outputs = modal.Volume.from_name("comfyvn-outputs", create_if_missing=True)

gpu_image = modal.Image.debian_slim(python_version="3.12").pip_install(
    "torch", "diffusers", "transformers", "accelerate", "safetensors"
)
web_image = modal.Image.debian_slim(python_version="3.12").pip_install("fastapi[standard]")

_pipeline = None  # loaded once per warm container


def _load_pipeline():
    global _pipeline
    if _pipeline is None:
        import torch
        from diffusers import AutoPipelineForText2Image

        _pipeline = AutoPipelineForText2Image.from_pretrained(
            MODEL_ID, torch_dtype=torch.float16, variant="fp16"
        ).to("cuda")
    return _pipeline


@app.function(gpu="L40S", image=gpu_image, volumes={OUTPUT_DIR: outputs}, timeout=900)
def comfyvn_render(input: dict) -> dict:
    """Renders the prompt; returns the file names written under /<call id>/."""
    import os

    import torch

    call_id = modal.current_function_call_id()
    prompt = str(input.get("prompt") or "")
    if not prompt:
        raise ValueError("input.prompt is required")
    seed = int(input.get("seed", 0))
    count = max(1, min(4, int(input.get("num_outputs", 1))))
    generator = torch.Generator("cuda").manual_seed(seed)
    images = _load_pipeline()(
        prompt=prompt,
        num_inference_steps=int(input.get("steps", 2)),
        guidance_scale=0.0,
        num_images_per_prompt=count,
        generator=generator,
    ).images
    folder = os.path.join(OUTPUT_DIR, call_id)
    os.makedirs(folder, exist_ok=True)
    names = []
    for i, image in enumerate(images):
        name = f"{i}.png"
        image.save(os.path.join(folder, name))
        names.append(name)
    outputs.commit()
    return {"call_id": call_id, "files": names, "seed": seed}


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


@app.function(image=web_image, volumes={OUTPUT_DIR: outputs}, timeout=3600)
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

    @api.post("/run")
    async def run(body: dict):
        name = body.get("function") or "comfyvn_render"
        if name not in ALLOWED_FUNCTIONS:
            return JSONResponse({"error": f"function not found: {name}"}, status_code=404)
        job_input = body.get("input")
        if not isinstance(job_input, dict):
            return JSONResponse({"error": "input must be a JSON object"}, status_code=422)
        call = await modal.Function.from_name(APP_NAME, name).spawn.aio(job_input)
        return {"request_id": call.object_id}

    @api.get("/requests/{request_id}/status")
    async def status(request_id: str):
        call = find(request_id)
        if call is None:
            return not_found(request_id)
        try:
            return {"request_id": request_id, "status": await _status_of(call)}
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
            return {"request_id": request_id, "status": failed, "error": f"{type(e).__name__}: {e}"}
        base = str(request.base_url).rstrip("/")
        images = [
            {"url": f"{base}/files/{out['call_id']}/{name}", "seed": out["seed"]} for name in out["files"]
        ]
        return {"request_id": request_id, "status": "SUCCESS", "response": {"images": images}}

    @api.post("/requests/{request_id}/cancel")
    async def cancel(request_id: str):
        call = find(request_id)
        if call is None:
            return not_found(request_id)
        await call.cancel.aio()
        return {"request_id": request_id, "status": "TERMINATED"}

    @api.get("/files/{call_id}/{name}")
    async def file(call_id: str, name: str):
        if not (call_id.startswith("fc-") and SAFE_NAME.match(call_id) and SAFE_NAME.match(name)):
            return JSONResponse({"error": "not found"}, status_code=404)
        await outputs.reload.aio()
        path = os.path.join(OUTPUT_DIR, call_id, name)
        if not os.path.isfile(path):
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(path, media_type="image/png")

    return api
