#!/usr/bin/env python3
"""Checks that directories written by `clip convert` load in open_clip and transformers and give
OpenAI's embeddings for the checkpoint fixtures (Tests/CLIPModelTests/Fixtures/torch).

    swift build --product clip
    python Scripts/check_converted_models.py --binary .build/debug/clip

Converts state_dict_f32.pt, openai_torchscript.pt (float16) and training_bf16.pt to both layouts in a
temporary folder, loads each with `open_clip.create_model_and_transforms(...)` (openclip layout) or
`transformers.CLIPModel.from_pretrained` + `CLIPTokenizer` + `CLIPImageProcessor` (hf layout), and
prints the largest difference of normalised features from the expected outputs.
"""
import argparse
import json
import os
import subprocess
import tempfile

import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPModelTests", "Fixtures", "torch")
CASES = [("state_dict_f32.pt", "f32", torch.float32), ("openai_torchscript.pt", "f16", torch.float16),
         ("training_bf16.pt", None, torch.bfloat16)]


def normalized(x):
    return torch.nn.functional.normalize(x.float(), dim=-1)


def open_clip_features(folder, images, tokens):
    """Through open_clip's own factory: `local-dir:` reads open_clip_config.json and the weights."""
    import open_clip
    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    model = model.float().eval()
    with torch.no_grad():
        return model.encode_image(images), model.encode_text(tokens)


def transformers_features(folder, images, tokens):
    from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel
    import open_clip
    model = CLIPModel.from_pretrained(folder, torch_dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    reference = open_clip.get_tokenizer("ViT-B-32")
    for text in ["a photo of a cat", "Two dogs playing in the snow!", "naïve café, 3.14"]:
        ids = tokenizer(text)["input_ids"]
        assert ids == reference([text])[0][: len(ids)].tolist(), (text, ids)
    processor = CLIPImageProcessor.from_pretrained(folder)
    assert processor.crop_size["height"] == images.shape[-1]
    with torch.no_grad():
        image = model.visual_projection(model.vision_model(pixel_values=images).pooler_output)
        text = model.text_projection(model.text_model(input_ids=tokens).pooler_output)
    return image, text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/clip")
    args = parser.parse_args()
    expected = load_file(os.path.join(FIXTURES, "expected.safetensors"))
    images, tokens = expected["images"], expected["tokens"].long()
    worst = 0.0
    with tempfile.TemporaryDirectory() as temporary:
        for name, prefix, dtype in CASES:
            for layout in ("openclip", "hf"):
                folder = os.path.join(temporary, f"{name}-{layout}")
                subprocess.run([args.binary, "convert", os.path.join(FIXTURES, name), "--output-dir", folder, "--layout", layout],
                               check=True, capture_output=True)
                load = open_clip_features if layout == "openclip" else transformers_features
                image, text = load(folder, images, tokens)
                if prefix is None:   # bf16: compare against the f32 weights rounded to bf16 in Python
                    state = torch.load(os.path.join(FIXTURES, name), weights_only=True)["state_dict"]
                    reference = os.path.join(temporary, "bf16-reference")
                    os.makedirs(reference, exist_ok=True)
                    import open_clip
                    config = json.load(open(os.path.join(temporary, f"{name}-openclip", "open_clip_config.json")))
                    model = open_clip.model.CLIP(**config["model_cfg"]).eval()
                    model.load_state_dict({k[len("module."):]: v.float() for k, v in state.items()})
                    with torch.no_grad():
                        want_image, want_text = model.encode_image(images), model.encode_text(tokens)
                else:
                    want_image, want_text = expected[f"{prefix}/image_features"], expected[f"{prefix}/text_features"]
                difference = max((normalized(image) - normalized(want_image)).abs().max().item(),
                                 (normalized(text) - normalized(want_text)).abs().max().item())
                worst = max(worst, difference)
                print(f"{name:24s} {layout:8s} stored {str(dtype):15s} max |Δ normalised feature| = {difference:.2e}")
    print(f"worst {worst:.2e}")
    if worst > 1e-5:
        raise SystemExit("converted models differ from the reference")


if __name__ == "__main__":
    main()
