#!/usr/bin/env python3
"""References for searching an index through the `clip` command, from open_clip and numpy.

The model is a hand-built "thumbnail CLIP" (open_clip layout, float16): its image tower returns an
image's preprocessed 8×8 thumbnail, centred and scaled. conv1 copies each pixel of the one 8×8
patch into its own channel; the block's attention has zero query and key weights (so it attends
uniformly), identity values and output; its MLP is zero; the projection is the identity. Cosine
similarity is then the correlation of two thumbnails: copies and re-encodes of a photo score about
1, small crops above 0.85, different photos far less, which the near-duplicate tests rely on. The text
tower is random. open_clip computes every embedding (its own tokenizer and preprocessing); numpy
ranks the index's files for each query as `clip search` must: the weighted sum of normalised term
embeddings, normalised, against image vectors stored as float32 or rounded to float16. Every file's
score is kept too, so that a test can accept files of (nearly) equal score in either order.

Writes Tests/CLIPSearchTests/Fixtures/thumbnail-clip/ (open_clip_config.json,
open_clip_model.safetensors) and Tests/CLIPSearchTests/Fixtures/index_search.json.

    python3 -m venv venv && venv/bin/pip install open_clip_torch safetensors numpy pillow
    venv/bin/python Scripts/make_search_index_fixtures.py
"""
import json
import os

import numpy as np
import open_clip
import torch
from PIL import Image
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPSearchTests", "Fixtures")
IMAGES = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures", "images")
MODEL_DIR = os.path.join(FIXTURES, "thumbnail-clip")

THUMB = 8
WIDTH = 3 * THUMB * THUMB
CONFIG = {
    "model_cfg": {
        "embed_dim": WIDTH,
        "vision_cfg": {"image_size": THUMB, "patch_size": THUMB, "layers": 1, "width": WIDTH, "head_width": 64, "mlp_ratio": 0.25},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 8, "heads": 1, "layers": 1, "mlp_ratio": 1.0},
    },
    "preprocess_cfg": {"mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD)},
}

# The index: relative path -> fixture image it is a copy of.
FILES = {
    "a.png": "odd_97x61.png",
    "copy of a.png": "odd_97x61.png",
    "b.jpg": "odd_333x171.jpg",
    "square/c.jpg": "square_224.jpg",
    "square/d.jpg": "square_336.jpg",
    "square/e.png": "grey_odd_45x77.png",
    "webp/f.webp": "lossy.webp",
    "webp/g.webp": "lossless.webp",
    "h.png": "rgba_gradient.png",
    "i.png": "la_gradient.png",
    "j.jpg": "tall_20x1000.jpg",
    "k.png": "palette_4bit.png",
}

# Queries as `clip search` words; {root} is the index's folder of images.
QUERIES = [
    {"name": "text", "words": ["a red square"], "top": 5},
    {"name": "image", "words": ["{root}/square/c.jpg"], "top": 4},
    {"name": "copies", "words": ["{root}/a.png"], "top": 3},
    {"name": "arithmetic", "words": ["{root}/b.jpg", "+", "2:a gradient", "-", "0.5:{root}/webp/f.webp"], "top": 6},
    {"name": "under", "words": ["{root}/h.png"], "top": 3, "under": "square"},
    {"name": "threshold", "words": ["{root}/i.png"], "top": 12, "threshold": 0.3},
    {"name": "template", "words": ["cat"], "top": 4, "template": "a photo of a {}."},
]

def thumbnail_weights(model):
    state = {name: torch.zeros_like(value) for name, value in model.state_dict().items()}
    generator = torch.Generator().manual_seed(20261202)
    for name, value in state.items():
        if name.startswith("visual."):
            continue
        if name.endswith(".weight") and ("ln" in name):
            state[name] = torch.ones_like(value)
        elif name == "token_embedding.weight":
            state[name] = torch.randn(value.shape, generator=generator)
        elif name == "logit_scale":
            state[name] = torch.tensor(np.log(100.0), dtype=value.dtype)
        elif name != "attn_mask":
            state[name] = 0.3 * torch.randn(value.shape, generator=generator)
    conv = torch.zeros(WIDTH, 3, THUMB, THUMB)
    for channel in range(3):
        for y in range(THUMB):
            for x in range(THUMB):
                conv[channel * THUMB * THUMB + y * THUMB + x, channel, y, x] = 1
    identity = torch.eye(WIDTH)
    state["visual.conv1.weight"] = conv
    for name in ["visual.ln_pre.weight", "visual.ln_post.weight", "visual.transformer.resblocks.0.ln_1.weight",
                 "visual.transformer.resblocks.0.ln_2.weight"]:
        state[name] = torch.ones(WIDTH)
    in_proj = torch.zeros(3 * WIDTH, WIDTH)
    in_proj[2 * WIDTH:] = identity
    state["visual.transformer.resblocks.0.attn.in_proj_weight"] = in_proj
    state["visual.transformer.resblocks.0.attn.out_proj.weight"] = identity.clone()
    state["visual.proj"] = identity.clone()
    # Stored as float16, used as float16 rounds them: the reference runs on the stored values.
    return {name: value.to(torch.float16).to(torch.float32) for name, value in state.items()}


def unit(vector):
    return vector / np.linalg.norm(vector)


def rank(query_vector, vectors, paths, top, threshold, under):
    """The hits `clip search` must print, and every file's score (files of equal score rank by path)."""
    scores = vectors.astype(np.float64) @ query_vector.astype(np.float64)
    order = sorted(range(len(paths)), key=lambda i: (-scores[i], paths[i]))
    hits = []
    for i in order:
        if threshold is not None and scores[i] < threshold:
            continue
        if under is not None and not paths[i].startswith(under + "/"):
            continue
        hits.append({"path": paths[i], "score": float(scores[i])})
    return hits[:top], {path: float(score) for path, score in zip(paths, scores)}


def main():
    os.makedirs(MODEL_DIR, exist_ok=True)
    cfg = CONFIG["model_cfg"]
    model = open_clip.model.CLIP(cfg["embed_dim"], cfg["vision_cfg"], cfg["text_cfg"])
    weights = thumbnail_weights(model)
    model.load_state_dict(weights)
    model.eval()
    save_file({name: value.to(torch.float16).contiguous() for name, value in weights.items() if name != "attn_mask"},
              os.path.join(MODEL_DIR, "open_clip_model.safetensors"))
    with open(os.path.join(MODEL_DIR, "open_clip_config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")

    preprocess = open_clip.image_transform(THUMB, is_train=False, mean=open_clip.OPENAI_DATASET_MEAN, std=open_clip.OPENAI_DATASET_STD)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")

    def image_embedding(name):
        with torch.no_grad():
            pixels = preprocess(Image.open(os.path.join(IMAGES, name))).unsqueeze(0)
            return unit(model.encode_image(pixels)[0].numpy().astype(np.float64))

    def text_embedding(text):
        with torch.no_grad():
            return unit(model.encode_text(tokenizer([text]))[0].numpy().astype(np.float64))

    paths = sorted(FILES)
    stored = np.stack([image_embedding(FILES[path]) for path in paths]).astype(np.float32)
    cases = []
    for query in QUERIES:
        terms, sign = [], 1.0
        for word in query["words"]:
            if word in "+-":
                sign = -1.0 if word == "-" else 1.0
                continue
            prefix, colon, rest = word.partition(":")
            weight, body = (float(prefix), rest) if colon and prefix.replace(".", "", 1).isdigit() else (1.0, word)
            if body.startswith("{root}/"):
                embedding = image_embedding(FILES[body[len("{root}/"):]])
            else:
                embedding = text_embedding(query.get("template", "{}").replace("{}", body))
            terms.append(sign * weight * embedding)
        query_vector = unit(np.sum(terms, axis=0)).astype(np.float32)
        for element, vectors in (("f32", stored), ("f16", stored.astype(np.float16).astype(np.float32))):
            hits, scores = rank(query_vector, vectors, paths, query["top"], query.get("threshold"), query.get("under"))
            cases.append({**query, "element": element, "hits": hits, "scores": scores})
    with open(os.path.join(FIXTURES, "index_search.json"), "w") as f:
        json.dump({"files": FILES, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {FIXTURES}/index_search.json")


if __name__ == "__main__":
    main()
