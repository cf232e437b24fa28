#!/usr/bin/env python3
"""Tiny random models of the families beyond OpenAI's CLIP, with the reference's outputs, for
CLIPModelTests.

Families (each saved in the layout it is published in):
- `siglip_hf`: transformers' `SiglipModel` (`config.json`, `model.safetensors`,
  `preprocessor_config.json`): ViT without class token or pre-norm, attention-pooling head,
  non-causal text tower pooled at the last position with a biased head, tanh GELU, LayerNorm eps 1e-6.

The SigLIP directory carries the tokenizer fixture's `spiece.model` (its vocabulary sizes the text
tower) so that commands run on it end to end; `siglip_hf/zero_shot_*` holds transformers' sigmoid
probabilities for a committed image against "a photo of a {}." prompts, through `SiglipProcessor`
(Pillow bicubic resize of both sides, mean and std 0.5, the tokenizer padded to the context length).

- `siglip_open_clip`: open_clip's `CustomTextCLIP` as its Hub export writes it (`open_clip_config.json`
  with `model_cfg` and `preprocess_cfg`, `open_clip_model.safetensors`, and the tokenizer files its
  `hf_tokenizer_name` points at): a timm SigLIP trunk (`timm_pool: "map"`, `timm_proj: "none"`) and a
  text tower with `no_causal_mask`, `pool_type: "last"`, `proj_bias`, eps 1e-6 and tanh GELU (SigLIP 2's
  settings). timm has no model this small, so `pico_siglip_tower.py` registers `vit_pico_patch8_siglip_32` with timm
  and also writes its sizes into `vision_cfg` (`width`, `layers`, `head_width`, `patch_size`, `mlp_ratio`),
  which open_clip ignores for timm models and swift-clip reads for names it does not know.

- `chinese_clip_hf`: transformers' `ChineseCLIPModel` (`config.json`, `model.safetensors`, `vocab.txt`,
  `tokenizer_config.json`): CLIP's ViT (QuickGELU) and a post-norm BERT text tower (token types,
  LayerNorm eps 1e-12) pooled at [CLS], linear projection. Its vocabulary is a small `vocab.txt`
  (`CHINESE_CLIP_VOCABULARY`); texts are tokenized by its `BertTokenizer` to Chinese-CLIP's 52
  tokens with the tokenizer's attention mask, as `ChineseCLIPProcessor` passes it.

- `xlmr_open_clip`: open_clip's `CustomTextCLIP` with an `HFTextEncoder` over an XLM-RoBERTa tower
  (post-norm, RoBERTa positions counted from the pad id, attention mask `ids != pad`), masked mean
  pooling and the MLP projection, as `xlm-roberta-base-ViT-B-32` is built. The tower is the local
  Hugging Face model `xlm-roberta-pico` (its `config.json` in a folder of that name beside the weights,
  which is how open_clip and swift-clip both resolve `hf_model_name` for a model they do not know) and
  its tokenizer a small Unigram model trained here by `tokenizers` with XLM-R's special tokens.

Every parameter is re-drawn at random (not the library's initialisation, which leaves biases at zero)
so no path is trivially zero. Text inputs are random ids of the model's vocabulary, as many as its
fixed context length (SigLIP is trained on padded text and attends to the padding).

Writes Tests/CLIPModelTests/Fixtures/families/<family>/ and families/expected.safetensors with, per
family, `<family>/images`, `/tokens` (float, integral values), `/image_features` and `/text_features`
(L2-normalised), `/logits_per_image` (scale · cos + bias, before the sigmoid).

    pip install torch transformers safetensors open_clip_torch timm
    python Scripts/make_family_fixtures.py
"""
import json
import os
import shutil

import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import (AutoImageProcessor, AutoTokenizer, ChineseCLIPConfig, ChineseCLIPModel, SiglipConfig, SiglipModel,
                          SiglipTokenizer, XLMRobertaTokenizerFast)

import pico_siglip_tower

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "CLIPModelTests", "Fixtures", "families")
SPIECE = os.path.join(HERE, "..", "Tests", "CLIPTokenizerTests", "Fixtures", "tokenizer_json", "unigram_t5", "spiece.model")
IMAGE = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures", "images", "odd_97x61.png")
ZERO_SHOT_CLASSES = ["cat", "dog", "red car"]
CHINESE_CLIP_VOCABULARY = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "the", "dog", "cat", "red", "car", "##s",
                            ".", ",", "!", "一", "只", "张", "猫", "狗", "的", "照", "片", "两", "红", "色", "汽", "车", "。"]
                           + [chr(code) for code in range(ord("b"), ord("z") + 1)])
MULTILINGUAL_TEXTS = ["a photo of a dog", "一只猫的照片", "Un chat noir, assis.", "两只狗\tand a cat!\u200b"]
XLMR_CORPUS = [
    "a photo of a dog", "a photo of a cat", "two cats sitting on a mat", "un chat noir", "une photo d'un chien",
    "ein Foto von einem Hund", "一只猫的照片", "两只狗", "红色的汽车", "a red car parked on the street",
    "das ist eine Katze", "el perro y el gato", "猫和狗", "une voiture rouge", "the quick brown fox jumps over the lazy dog",
]


def randomize(model, generator):
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("logit_scale"):
                parameter.fill_(2.3)
            elif name.endswith("logit_bias"):
                parameter.fill_(-1.5)
            elif "norm" in name and name.endswith("weight"):
                parameter.copy_(1 + 0.1 * torch.randn(parameter.shape, generator=generator))
            else:
                parameter.copy_(0.2 * torch.randn(parameter.shape, generator=generator))


def siglip_hf(expected, generator):
    folder = os.path.join(OUT, "siglip_hf")
    tokenizer = SiglipTokenizer(vocab_file=SPIECE)
    vocabulary = tokenizer.sp_model.get_piece_size()
    config = SiglipConfig(
        text_config=dict(vocab_size=vocabulary, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                         max_position_embeddings=12, pad_token_id=1, bos_token_id=None, eos_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                           patch_size=8))
    model = SiglipModel(config).eval()
    randomize(model, generator)
    model.save_pretrained(folder, safe_serialization=True)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as file:
        json.dump({"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
                   "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor",
                   "resample": 3, "rescale_factor": 1 / 255, "size": {"height": 32, "width": 32}}, file, indent=2)
    shutil.copy(SPIECE, os.path.join(folder, "spiece.model"))
    images = torch.randn(2, 3, 32, 32, generator=generator)
    tokens = torch.randint(0, vocabulary, (3, 12), generator=generator)
    tokens[0, 5:] = 1   # a short text padded with the end token, as SigLIP's tokenizer pads
    with torch.no_grad():
        output = model(input_ids=tokens, pixel_values=images)
    expected.update({
        "siglip_hf/images": images,
        "siglip_hf/tokens": tokens.float(),
        "siglip_hf/image_features": output.image_embeds,
        "siglip_hf/text_features": output.text_embeds,
        "siglip_hf/logits_per_image": output.logits_per_image,
    })
    # The Pillow backend (transformers 4's SiglipImageProcessor); transformers 5 defaults to torchvision,
    # whose antialiased bicubic differs from Pillow's by up to one 8-bit level.
    processor = AutoImageProcessor.from_pretrained(folder, backend="pil")
    pixels = torch.from_numpy(processor(images=Image.open(IMAGE), return_tensors="np").pixel_values)
    prompts = tokenizer([f"a photo of a {name}." for name in ZERO_SHOT_CLASSES], padding="max_length", max_length=12,
                        truncation=True, return_tensors="pt").input_ids
    with torch.no_grad():
        zero_shot = model(input_ids=prompts, pixel_values=pixels)
    expected.update({
        "siglip_hf/zero_shot_pixels": pixels,
        "siglip_hf/zero_shot_tokens": prompts.float(),
        "siglip_hf/zero_shot_probabilities": torch.sigmoid(zero_shot.logits_per_image),
    })


def siglip_open_clip(expected, generator):
    import open_clip
    from open_clip.model import CustomTextCLIP
    pico_siglip_tower.register()
    folder = os.path.join(OUT, "siglip_open_clip")
    os.makedirs(folder)
    tokenizer_source = os.path.join(os.path.dirname(SPIECE))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_source, name), os.path.join(folder, name))
    with open(os.path.join(folder, "tokenizer.json")) as file:
        vocabulary = len(json.load(file)["model"]["vocab"])
    model_cfg = {
        "embed_dim": 32, "init_logit_bias": -10, "custom_text": True,
        "vision_cfg": pico_siglip_tower.VISION_CFG,
        "text_cfg": {"context_length": 12, "vocab_size": vocabulary, "hf_tokenizer_name": "timm/ViT-pico-SigLIP2",
                     "tokenizer_kwargs": {"clean": "canonicalize"}, "width": 32, "heads": 2, "layers": 2, "mlp_ratio": 1.5,
                     "no_causal_mask": True, "proj_bias": True, "pool_type": "last", "norm_kwargs": {"eps": 1e-6},
                     "act_kwargs": {"approximate": "tanh"}},
    }
    model = CustomTextCLIP(**{key: value for key, value in model_cfg.items() if key != "custom_text"}).eval()
    randomize(model, generator)
    preprocess_cfg = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic", "resize_mode": "squash"}
    with open(os.path.join(folder, "open_clip_config.json"), "w") as file:
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, file, indent=2)
    save_file({name: tensor.contiguous() for name, tensor in model.state_dict().items()},
              os.path.join(folder, "open_clip_model.safetensors"))
    images = torch.randn(2, 3, 32, 32, generator=generator)
    tokenizer = open_clip.tokenizer.HFTokenizer(folder, context_length=12, clean="canonicalize")
    tokens = tokenizer(["a photo of a dog", "Two cats, sitting on a mat!", "一只猫"])
    with torch.no_grad():
        image_features = model.encode_image(images, normalize=True)
        text_features = model.encode_text(tokens, normalize=True)
        logits = model.logit_scale.exp() * image_features @ text_features.T + model.logit_bias
    expected.update({
        "siglip_open_clip/images": images,
        "siglip_open_clip/tokens": tokens.float(),
        "siglip_open_clip/image_features": image_features,
        "siglip_open_clip/text_features": text_features,
        "siglip_open_clip/logits_per_image": logits,
    })


def chinese_clip_hf(expected, generator):
    folder = os.path.join(OUT, "chinese_clip_hf")
    os.makedirs(folder)
    with open(os.path.join(folder, "vocab.txt"), "w") as file:
        file.write("\n".join(CHINESE_CLIP_VOCABULARY) + "\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as file:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 52}, file, indent=2)
    config = ChineseCLIPConfig(
        text_config=dict(vocab_size=len(CHINESE_CLIP_VOCABULARY), hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=64, type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12),
        vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                           patch_size=8, hidden_act="quick_gelu"),
        projection_dim=24)
    model = ChineseCLIPModel(config).eval()
    randomize(model, generator)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)   # BertTokenizer, as ChineseCLIPProcessor loads it
    encoded = tokenizer(MULTILINGUAL_TEXTS, padding="max_length", max_length=52, truncation=True, return_tensors="pt")
    images = torch.randn(2, 3, 32, 32, generator=generator)
    with torch.no_grad():
        output = model(input_ids=encoded.input_ids, attention_mask=encoded.attention_mask, pixel_values=images)
    expected.update({
        "chinese_clip_hf/images": images,
        "chinese_clip_hf/tokens": encoded.input_ids.float(),
        "chinese_clip_hf/image_features": output.image_embeds,
        "chinese_clip_hf/text_features": output.text_embeds,
        "chinese_clip_hf/logits_per_image": output.logits_per_image,
    })


def xlmr_tokenizer(folder):
    from tokenizers import SentencePieceUnigramTokenizer
    trained = SentencePieceUnigramTokenizer()
    trained.train_from_iterator(XLMR_CORPUS, vocab_size=120, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tokenizer = XLMRobertaTokenizerFast(tokenizer_object=trained._tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<unk>")
    tokenizer.save_pretrained(folder)
    return len(tokenizer)


def xlmr_open_clip(expected, generator):
    import open_clip
    from open_clip.model import CustomTextCLIP
    from transformers import XLMRobertaConfig
    folder = os.path.join(OUT, "xlmr_open_clip")
    os.makedirs(folder)
    vocabulary = xlmr_tokenizer(folder)
    XLMRobertaConfig(vocab_size=vocabulary, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48,
                     max_position_embeddings=20, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                     layer_norm_eps=1e-5).save_pretrained(os.path.join(folder, "xlm-roberta-pico"))
    model_cfg = {
        "embed_dim": 24, "custom_text": True,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8, "mlp_ratio": 1.5},
        "text_cfg": {"context_length": 16, "hf_model_name": "xlm-roberta-pico", "hf_tokenizer_name": "xlm-roberta-pico",
                     "hf_model_pretrained": False, "hf_pooler_type": "mean_pooler", "hf_proj_type": "mlp"},
    }
    cwd = os.getcwd()
    os.chdir(folder)   # open_clip resolves hf_model_name as a path from here, swift-clip from the checkpoint's folder
    try:
        model = CustomTextCLIP(**{key: value for key, value in model_cfg.items() if key != "custom_text"}).eval()
    finally:
        os.chdir(cwd)
    randomize(model, generator)
    preprocess_cfg = {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}
    with open(os.path.join(folder, "open_clip_config.json"), "w") as file:
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, file, indent=2)
    save_file({name: tensor.contiguous() for name, tensor in model.state_dict().items()},
              os.path.join(folder, "open_clip_model.safetensors"))
    tokenizer = open_clip.tokenizer.HFTokenizer(folder, context_length=16)
    tokens = tokenizer(MULTILINGUAL_TEXTS)
    images = torch.randn(2, 3, 32, 32, generator=generator)
    with torch.no_grad():
        image_features = model.encode_image(images, normalize=True)
        text_features = model.encode_text(tokens, normalize=True)
        logits = model.logit_scale.exp() * image_features @ text_features.T
    expected.update({
        "xlmr_open_clip/images": images,
        "xlmr_open_clip/tokens": tokens.float(),
        "xlmr_open_clip/image_features": image_features,
        "xlmr_open_clip/text_features": text_features,
        "xlmr_open_clip/logits_per_image": logits,
    })


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    generator = torch.Generator().manual_seed(20261202)
    expected = {}
    siglip_hf(expected, generator)
    siglip_open_clip(expected, generator)
    chinese_clip_hf(expected, generator)
    xlmr_open_clip(expected, generator)
    save_file({name: tensor.contiguous() for name, tensor in expected.items()}, os.path.join(OUT, "expected.safetensors"))
    print(f"wrote {len(expected)} tensors to {OUT}")


if __name__ == "__main__":
    main()
