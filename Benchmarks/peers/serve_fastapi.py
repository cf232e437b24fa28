"""The usual Python CLIP service, the peer of `clip serve` in Benchmarks/serve.py: FastAPI under
uvicorn (one model per worker process), open_clip, Pillow + open_clip's torchvision preprocessing,
numpy for search. The same request and response shapes as `clip serve` for the routes measured.

    PEER_MODEL=dir PEER_VECTORS=vectors.f16 PEER_THREADS=1 [PEER_ASYNC=1] uvicorn serve_fastapi:app --workers 2
"""
import base64
import io
import os

import numpy as np
import open_clip
import torch
from fastapi import FastAPI, HTTPException
from PIL import Image
from safetensors.torch import load_file

torch.set_num_threads(int(os.environ.get("PEER_THREADS", "1")))
MODEL_DIR = os.environ["PEER_MODEL"]
model = open_clip.create_model("ViT-B-32")
model.load_state_dict(load_file(os.path.join(MODEL_DIR, "open_clip_model.safetensors")), strict=False)
model.eval()
preprocess = open_clip.image_transform(224, is_train=False)
tokenizer = open_clip.get_tokenizer("ViT-B-32")
vectors = None
if os.environ.get("PEER_VECTORS"):
    # swift-clip's vector file: a 32-byte header, then float16 rows of width 512.
    vectors = np.fromfile(os.environ["PEER_VECTORS"], dtype=np.float16, offset=32).reshape(-1, 512).astype(np.float32)

app = FastAPI()


def image_of(payload):
    if payload.startswith("data:"):
        payload = payload.split(",", 1)[1]
    try:
        return Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB")
    except Exception as error:
        raise HTTPException(status_code=422, detail=str(error))


def encode(items):
    texts = [(i, item if isinstance(item, str) else item["text"]) for i, item in enumerate(items)
             if isinstance(item, str) or "text" in item]
    images = [(i, item["image"]) for i, item in enumerate(items) if isinstance(item, dict) and "image" in item]
    out = [None] * len(items)
    with torch.no_grad():
        if texts:
            features = model.encode_text(tokenizer([t for _, t in texts]))
            features = features / features.norm(dim=-1, keepdim=True)
            for (i, _), row in zip(texts, features):
                out[i] = row
        if images:
            pixels = torch.stack([preprocess(image_of(p)) for _, p in images])
            features = model.encode_image(pixels)
            features = features / features.norm(dim=-1, keepdim=True)
            for (i, _), row in zip(images, features):
                out[i] = row
    return out


def embeddings(body: dict):
    items = body["input"]
    if isinstance(items, str):
        items = [items]
    rows = encode(items)
    return {"object": "list", "model": "ViT-B-32", "usage": {"prompt_tokens": 0, "total_tokens": 0},
            "data": [{"object": "embedding", "index": i, "embedding": row.tolist()} for i, row in enumerate(rows)]}


def search(body: dict):
    query = body["query"]
    top = int(body.get("top_k", 10))
    vector = encode([query])[0].numpy()
    scores = vectors @ vector
    best = np.argpartition(-scores, top)[:top]
    best = best[np.argsort(-scores[best])]
    return {"object": "list", "data": [{"rank": r + 1, "id": int(i), "score": float(scores[i])} for r, i in enumerate(best)]}


# FastAPI runs plain `def` routes on a thread pool (the usual way); PEER_ASYNC=1 runs them on the
# event loop, one at a time per worker, which avoids the pool's threads contending for the GIL.
if os.environ.get("PEER_ASYNC") == "1":
    async def embeddings_route(body: dict):
        return embeddings(body)

    async def search_route(body: dict):
        return search(body)
else:
    embeddings_route, search_route = embeddings, search
app.post("/v1/embeddings")(embeddings_route)
app.post("/v1/search")(search_route)
