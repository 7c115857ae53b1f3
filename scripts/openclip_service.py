"""The peer of `clipforge serve` in scripts/serve_bench.py: the real OpenCLIP behind FastAPI and
uvicorn, written the way its users write one (open_clip's README model loading, a sync endpoint
per task, one request one forward, no batching across requests). The same JSON bodies as
clipforge serve's /v1/embed and /v1/rerank, so one load generator drives both.

  OPENCLIP_MODEL=models/ViT-B-32.json OPENCLIP_WEIGHTS=w.safetensors THREADS=2 \
      uvicorn --app-dir scripts openclip_service:app --port 8081

Development tool: clipforge never needs Python.
"""
import base64
import io
import os

import open_clip
import torch
from fastapi import FastAPI
from PIL import Image
from pydantic import BaseModel
from safetensors.torch import load_file

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
config = os.environ["OPENCLIP_MODEL"]
open_clip.add_model_config(config)
name = os.path.splitext(os.path.basename(config))[0]
model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=None)
model.load_state_dict(load_file(os.environ["OPENCLIP_WEIGHTS"]))
model.eval()
tokenizer = open_clip.get_tokenizer(name)
app = FastAPI()


class EmbedRequest(BaseModel):
    images: list[str] = []
    texts: list[str] = []


class RerankRequest(BaseModel):
    prompt: str
    images: list[str]


def image_features(images):
    pixels = torch.stack([preprocess(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB")) for b in images])
    with torch.inference_mode():
        features = model.encode_image(pixels)
    return features / features.norm(dim=-1, keepdim=True)


def text_features(texts):
    with torch.inference_mode():
        features = model.encode_text(tokenizer(texts))
    return features / features.norm(dim=-1, keepdim=True)


@app.post("/v1/embed")
def embed(request: EmbedRequest):
    answer = {}
    if request.images:
        answer["image_embeddings"] = image_features(request.images).tolist()
    if request.texts:
        answer["text_embeddings"] = text_features(request.texts).tolist()
    return answer


@app.post("/v1/rerank")
def rerank(request: RerankRequest):
    cosines = (image_features(request.images) @ text_features([request.prompt])[0]).tolist()
    order = sorted(range(len(cosines)), key=lambda i: -cosines[i])
    return {"prompt": request.prompt,
            "ranking": [{"rank": r + 1, "image": i, "clip_score": 100 * max(cosines[i], 0), "cosine": cosines[i]}
                        for r, i in enumerate(order)]}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
