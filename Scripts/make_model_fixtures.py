#!/usr/bin/env python3
"""Tiny random CLIP models in every layout, with the reference's outputs, for CLIPModelTests.

Families: `vit_quickgelu` and `vit_gelu` (open_clip VisionTransformer + text transformer) and `resnet`
(open_clip ModifiedResNet, QuickGELU text tower). Each is saved as an open_clip directory
(`open_clip_config.json` + `open_clip_model.safetensors`, as open_clip's Hub export writes them); the
ViT families also as Hugging Face transformers directories (`config.json`, `model.safetensors`,
`preprocessor_config.json`), each from its own random initialisation; the bare-`.safetensors` layout
is the open_clip state-dict file itself. `vit_quickgelu_f16` stores the same open_clip model in
float16 (outputs computed from the float16-rounded weights).

Every parameter (BatchNorm statistics included) is re-drawn at random so no path is trivially zero.
Text inputs are token ids below 498 with end token 499 (the largest id, as in CLIP's vocabulary),
so the fixtures stay small (vocabulary 500).

Writes Tests/CLIPModelTests/Fixtures/<family>/ and expected.safetensors with, per family,
`<family>/images`, `/tokens` (float, integral values), `/image_features`, `/text_features`,
`/logits_per_image`.

    pip install open_clip_torch transformers safetensors
    python Scripts/make_model_fixtures.py
"""
import json
import os
import shutil

import torch
from safetensors.torch import save_file
from open_clip.model import CLIP

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "CLIPModelTests", "Fixtures")
VOCAB, EOT = 500, 499

# Heads of 64 channels, as OpenAI's `build_model` assumes when it infers a bare state dict's
# architecture: the QuickGELU ViT and the ResNet are loaded that way in the tests. The GELU ViT uses
# 16-channel heads and is loaded with its configuration named.
TEXT = {"context_length": 16, "vocab_size": VOCAB, "width": 64, "heads": 1, "layers": 1, "mlp_ratio": 2.0}
VIT_64 = {"embed_dim": 16,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8, "head_width": 64, "mlp_ratio": 2.0},
          "text_cfg": TEXT}
VIT_16 = {"embed_dim": 16,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16},
          "text_cfg": {"context_length": 16, "vocab_size": VOCAB, "width": 32, "heads": 2, "layers": 2}}
RESNET = {"embed_dim": 16, "quick_gelu": True,
          "vision_cfg": {"image_size": 64, "layers": [1, 1, 2, 1], "width": 4, "patch_size": None, "head_width": 64},
          "text_cfg": TEXT}


def randomize(module, generator):
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith("logit_scale"):
                tensor.fill_(2.659260036932778)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)


def inputs(image_size, generator):
    images = torch.randn((3, 3, image_size, image_size), generator=generator)
    tokens = torch.zeros((3, 16), dtype=torch.long)
    for row, end in enumerate([5, 15, 9]):
        tokens[row, 0] = 498
        tokens[row, 1:end] = torch.randint(1, 498, (end - 1,), generator=generator)
        tokens[row, end] = EOT
    return images, tokens


def open_clip_model(config, generator):
    model = CLIP(**{k: v for k, v in config.items()}).eval()
    randomize(model, generator)
    return model


def expected_open_clip(model, images, tokens):
    with torch.no_grad():
        image = model.encode_image(images)
        text = model.encode_text(tokens)
        logits = model.logit_scale.exp() * torch.nn.functional.normalize(image, dim=-1) @ torch.nn.functional.normalize(text, dim=-1).T
    return image, text, logits


def save_open_clip(directory, model, config, dtype=torch.float32):
    os.makedirs(directory, exist_ok=True)
    state = {k: v.detach().to(dtype).contiguous() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    save_file(state, os.path.join(directory, "open_clip_model.safetensors"))
    with open(os.path.join(directory, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": config,
                   "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073],
                                      "std": [0.26862954, 0.26130258, 0.27577711],
                                      "interpolation": "bicubic", "resize_mode": "shortest"}}, f, indent=2)


def save_hugging_face(directory, activation, generator):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel
    config = CLIPConfig(
        text_config=dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=128, num_attention_heads=2,
                         num_hidden_layers=2, max_position_embeddings=16, eos_token_id=EOT, bos_token_id=498,
                         pad_token_id=0, hidden_act=activation),
        vision_config=dict(hidden_size=32, intermediate_size=128, num_attention_heads=2, num_hidden_layers=2,
                           image_size=32, patch_size=8, hidden_act=activation),
        projection_dim=16)
    model = CLIPModel(config).eval()
    randomize(model, generator)
    model.save_pretrained(directory, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(directory)
    return model


def expected_hugging_face(model, images, tokens):
    with torch.no_grad():
        out = model(pixel_values=images, input_ids=tokens)
        # image_embeds / text_embeds are normalised; the projections before normalisation:
        image = model.visual_projection(model.vision_model(pixel_values=images).pooler_output)
        text = model.text_projection(model.text_model(input_ids=tokens).pooler_output)
        normalized = torch.nn.functional.normalize
        assert torch.allclose(normalized(image, dim=-1), out.image_embeds, atol=1e-6)
        assert torch.allclose(normalized(text, dim=-1), out.text_embeds, atol=1e-6)
    return image, text, out.logits_per_image


def main():
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            if entry == "torch":   # written by make_checkpoint_fixtures.py
                continue
            path = os.path.join(OUT, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
    os.makedirs(OUT, exist_ok=True)
    generator = torch.Generator().manual_seed(2026)
    expected = {}

    def record(name, images, tokens, image, text, logits):
        expected[f"{name}/images"] = images.clone().contiguous()
        expected[f"{name}/tokens"] = tokens.float().clone().contiguous()
        expected[f"{name}/image_features"] = image.contiguous()
        expected[f"{name}/text_features"] = text.contiguous()
        expected[f"{name}/logits_per_image"] = logits.contiguous()

    for name, config in [("vit_quickgelu", {**VIT_64, "quick_gelu": True}), ("vit_gelu", VIT_16), ("resnet", RESNET)]:
        model = open_clip_model(config, generator)
        images, tokens = inputs(config["vision_cfg"]["image_size"], generator)
        save_open_clip(os.path.join(OUT, name, "open_clip"), model, config)
        record(f"{name}/open_clip", images, tokens, *expected_open_clip(model, images, tokens))
        if name == "vit_quickgelu":
            save_open_clip(os.path.join(OUT, name + "_f16", "open_clip"), model, config, torch.float16)
            rounded = open_clip_model(config, generator)
            rounded.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in model.state_dict().items()})
            record(f"{name}_f16/open_clip", images, tokens, *expected_open_clip(rounded, images, tokens))
        if name.startswith("vit"):
            hf = save_hugging_face(os.path.join(OUT, name, "hugging_face"), "quick_gelu" if "quick" in name else "gelu", generator)
            record(f"{name}/hugging_face", images, tokens, *expected_hugging_face(hf, images, tokens))
    save_file(expected, os.path.join(OUT, "expected.safetensors"))
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(OUT) for f in files)
    print(f"wrote {len(expected)} tensors; fixtures total {total // 1024} KB")


if __name__ == "__main__":
    main()
