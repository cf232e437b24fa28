#!/usr/bin/env python3
"""One training step of open_clip, for CLIPTrainingTests: loss, every gradient, and every weight
after one AdamW step, for the CLIP (InfoNCE) and the SigLIP loss.

A tiny open_clip ViT CLIP (vocabulary 500, end token 499) initialised by open_clip itself (SigLIP:
`init_logit_scale=log 10`, `init_logit_bias=-10`), one batch of 4 preprocessed images and token rows,
and the step exactly as open_clip's `train_one_epoch` runs it: the forward returns normalised
features and `logit_scale.exp()`; `ClipLoss` / `SigLipLoss`; backward; `clip_grad_norm_` (2-norm over
all gradients) at 0.05, small enough to clip; AdamW with open_clip's parameter groups (no weight decay
for parameters with fewer than 2 dimensions or whose name contains "bn", "ln", "bias" or
"logit_scale"), betas (0.9, 0.98), eps 1e-6, weight decay 0.2; the learning rate from `cosine_lr` at
step 0 with base 1e-3 and 2 warmup steps of 10 (5e-4); then `logit_scale.clamp_(0, ln 100)`.

`lora` fine-tunes the `clip` fixture's model with LoRA adapters (rank 2, alpha 4, on every block's
attention `in_proj` and `out_proj` and MLP `c_fc` and `c_proj`, both towers), written as torch
parametrizations `W + (alpha/rank)·B·A` so open_clip's own forward runs unchanged; only A and B train
(AdamW, decayed: they are matrices), no clipping. `lora/step.safetensors` holds `init/`, `grad/` and
`after/` for each `<layer>.lora_A.weight` / `lora_B.weight` and `merged/<weight>` after the step.

`pipeline` runs the step from files, as `clip train --augment none --no-shuffle` does: four PNG
images and a TSV of captions, open_clip's inference transform and tokenizer (context 16, so the
model has the real vocabulary of 49,408; its weights are rounded to float16 values and stored as
float16, and the token embedding, zero but for the rows the captions use, is stored as those rows,
to keep the fixture small), one step at base lr 1e-3 with 2 warmup steps, no clipping. The
token embedding's gradient and new values are stored for the rows the captions use (`token_rows`);
the other rows have no gradient and are only decayed.

`siglip_model` is the step with the SigLIP loss on a SigLIP model: open_clip's `CustomTextCLIP` with a
tiny timm SigLIP tower (`vit_pico_patch8_siglip_32`, registered by `pico_siglip_tower.py`, its sizes also written into
`vision_cfg` for swift-clip) and the SigLIP text tower options (no causal mask, last-token pooling,
biased projection, eps 1e-6, tanh GELU), initialised by open_clip and timm.

`xlmr_model` is the CLIP loss on open_clip's `CustomTextCLIP` with an XLM-RoBERTa `HFTextEncoder`
(its `config.json` in the `xlm-roberta-pico` folder beside the weights; padded tokens masked, mean
pooling, MLP projection), with the tower's dropout off: swift-clip trains without dropout.

`siglip_model/lock_groups.json` lists, for each `unlocked_groups` of open_clip's `TimmModel.lock`
(timm's layer grouping), the image-tower parameters left trainable.

`distill` adds open_clip's `DistillClipLoss` (contrastive + distillation against a second random model,
stored in `distill/teacher/`) to the CLIP loss.

Writes Tests/CLIPTrainingTests/Fixtures/<loss>/ with the initial model (open_clip_config.json +
open_clip_model.safetensors) and step.safetensors (`images`, `tokens`, `loss`, `lr`, `grad/<name>`,
`after/<name>`).

    pip install open_clip_torch safetensors
    python Scripts/make_training_fixtures.py [fixture …]   # all of them without arguments
"""
import json
import math
import os
import shutil
import sys

import pico_siglip_tower
import torch
from safetensors.torch import save_file
from open_clip.loss import ClipLoss, DistillClipLoss, SigLipLoss
from open_clip.model import CLIP
from open_clip_train.scheduler import cosine_lr

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "CLIPTrainingTests", "Fixtures")
CONFIG = {"embed_dim": 8,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 8, "head_width": 8},
          "text_cfg": {"context_length": 16, "vocab_size": 500, "width": 16, "heads": 2, "layers": 1}}
BASE_LR, WARMUP, STEPS, WEIGHT_DECAY, CLIP_NORM = 1e-3, 2, 10, 0.2, 0.05


def batch(generator):
    images = torch.randn((4, 3, 32, 32), generator=generator)
    tokens = torch.zeros((4, 16), dtype=torch.long)
    for row, end in enumerate([4, 15, 7, 10]):
        tokens[row, 0] = 498
        tokens[row, 1:end] = torch.randint(1, 498, (end - 1,), generator=generator)
        tokens[row, end] = 499
    return images, tokens


def parameter_groups(model):
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    named = list(model.named_parameters())
    return [{"params": [p for n, p in named if exclude(n, p) and p.requires_grad], "weight_decay": 0.0},
            {"params": [p for n, p in named if not exclude(n, p) and p.requires_grad], "weight_decay": WEIGHT_DECAY}]


SIGLIP_MODEL_CONFIG = {
    "embed_dim": 32, "init_logit_bias": -10, "custom_text": True,
    "vision_cfg": pico_siglip_tower.VISION_CFG,
    "text_cfg": {"context_length": 16, "vocab_size": 500, "width": 32, "heads": 2, "layers": 2, "mlp_ratio": 1.5,
                 "no_causal_mask": True, "proj_bias": True, "pool_type": "last", "norm_kwargs": {"eps": 1e-6},
                 "act_kwargs": {"approximate": "tanh"}},
}


def siglip_model():
    from open_clip.model import CustomTextCLIP
    pico_siglip_tower.register()
    return CustomTextCLIP(**{key: value for key, value in SIGLIP_MODEL_CONFIG.items() if key != "custom_text"},
                          init_logit_scale=math.log(10))


XLMR_MODEL_CONFIG = {
    "embed_dim": 8, "custom_text": True,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 8, "head_width": 8},
    "text_cfg": {"context_length": 16, "hf_model_name": "xlm-roberta-pico", "hf_tokenizer_name": "xlm-roberta-pico",
                 "hf_model_pretrained": False, "hf_pooler_type": "mean_pooler", "hf_proj_type": "mlp"},
}


def xlmr_model(folder):
    """open_clip's CustomTextCLIP over a two-layer XLM-RoBERTa, its config.json in `folder`/xlm-roberta-pico."""
    from open_clip.model import CustomTextCLIP
    from transformers import XLMRobertaConfig
    XLMRobertaConfig(vocab_size=500, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                     max_position_embeddings=20, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                     layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                     ).save_pretrained(os.path.join(folder, "xlm-roberta-pico"))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CustomTextCLIP(**{key: value for key, value in XLMR_MODEL_CONFIG.items() if key != "custom_text"})
    finally:
        os.chdir(cwd)


def xlmr_batch(generator):
    """XLM-R's layout: <s> (0), words, </s> (2), then the pad id 1, which the tower masks out."""
    images = torch.randn((4, 3, 32, 32), generator=generator)
    tokens = torch.ones((4, 16), dtype=torch.long)
    for row, end in enumerate([4, 15, 7, 10]):
        tokens[row, 0] = 0
        tokens[row, 1:end] = torch.randint(3, 500, (end - 1,), generator=generator)
        tokens[row, end] = 2
    return images, tokens


def write_lock_groups(folder):
    """open_clip's LiT locking of a timm tower: the trainable `visual.` parameters per unlocked group count."""
    groups = {}
    for unlocked in range(0, 5):
        model = siglip_model()
        model.visual.lock(unlocked_groups=unlocked)
        groups[str(unlocked)] = sorted(f"visual.{n}" for n, p in model.visual.named_parameters() if p.requires_grad)
    with open(os.path.join(folder, "lock_groups.json"), "w") as f:
        json.dump(groups, f, indent=1)


def one_step(loss_name):
    torch.manual_seed(7)
    folder = os.path.join(OUT, loss_name)
    os.makedirs(folder)
    if loss_name == "xlmr_model":
        model = xlmr_model(folder)
        loss_fn = ClipLoss()
    elif loss_name == "siglip_model":
        model = siglip_model()
        loss_fn = SigLipLoss()
    elif loss_name == "siglip":
        model = CLIP(**CONFIG, init_logit_scale=math.log(10), init_logit_bias=-10)
        loss_fn = SigLipLoss()
    elif loss_name == "distill":
        model = CLIP(**CONFIG)
        loss_fn = DistillClipLoss()
    else:
        model = CLIP(**CONFIG)
        loss_fn = ClipLoss()
    model.train()
    save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()},
              os.path.join(folder, "open_clip_model.safetensors"))
    config = dict({"siglip_model": SIGLIP_MODEL_CONFIG, "xlmr_model": XLMR_MODEL_CONFIG}.get(loss_name, CONFIG))
    if loss_name == "siglip":
        config["init_logit_bias"] = -10
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": config}, f, indent=2)

    if loss_name == "distill":   # a second model as the teacher, stored beside the student
        torch.manual_seed(8)
        teacher = CLIP(**CONFIG).eval()
        os.makedirs(os.path.join(folder, "teacher"))
        save_file({k: v.detach().clone().contiguous() for k, v in teacher.state_dict().items()},
                  os.path.join(folder, "teacher", "open_clip_model.safetensors"))
        with open(os.path.join(folder, "teacher", "open_clip_config.json"), "w") as f:
            json.dump({"model_cfg": CONFIG}, f, indent=2)
    images, tokens = (xlmr_batch if loss_name == "xlmr_model" else batch)(torch.Generator().manual_seed(11))
    optimizer = torch.optim.AdamW(parameter_groups(model), lr=BASE_LR, betas=(0.9, 0.98), eps=1e-6)
    scheduler = cosine_lr(optimizer, BASE_LR, WARMUP, STEPS)
    lr = scheduler(0)
    optimizer.zero_grad()
    out = model(images, tokens)
    if loss_name.startswith("siglip"):
        image_features, text_features, logit_scale, logit_bias = out
        loss = loss_fn(image_features, text_features, logit_scale, logit_bias)
    elif loss_name == "distill":
        image_features, text_features, logit_scale = out
        with torch.no_grad():
            teacher_image, teacher_text, teacher_scale = teacher(images, tokens)
        losses = loss_fn(image_features, text_features, logit_scale, teacher_image, teacher_text, teacher_scale, output_dict=True)
        loss = sum(losses.values())
    else:
        image_features, text_features, logit_scale = out
        loss = loss_fn(image_features, text_features, logit_scale)
    loss.backward()
    grads = {f"grad/{n}": p.grad.detach().clone() for n, p in model.named_parameters()}
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM, norm_type=2.0)
    assert total_norm > CLIP_NORM, f"the gradient norm {total_norm} does not exceed the clip norm"
    optimizer.step()
    with torch.no_grad():
        model.logit_scale.clamp_(0, math.log(100))
    tensors = {"images": images, "tokens": tokens.float(), "loss": loss.detach().reshape([]), "lr": torch.tensor(lr),
               "grad_norm": total_norm.detach().reshape([])}
    tensors.update(grads)
    tensors.update({f"after/{n}": p.detach().clone() for n, p in model.named_parameters()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, "step.safetensors"))
    if loss_name == "siglip_model":
        write_lock_groups(folder)
    print(f"{loss_name}: loss {loss.item():.6f}, lr {lr}, grad norm {total_norm.item():.4f}")


class LowRank(torch.nn.Module):
    """The parametrization W -> W + (alpha / rank) · B·A."""

    def __init__(self, down, up, scaling):
        super().__init__()
        self.down = torch.nn.Parameter(down)
        self.up = torch.nn.Parameter(up)
        self.scaling = scaling

    def forward(self, weight):
        return weight + self.scaling * (self.up @ self.down)


def lora_step():
    from torch.nn.utils import parametrize
    rank, alpha = 2, 4.0
    model = CLIP(**CONFIG)
    from safetensors.torch import load_file
    model.load_state_dict(load_file(os.path.join(OUT, "clip", "open_clip_model.safetensors")))
    model.train()
    for p in model.parameters():
        p.requires_grad_(False)
    generator = torch.Generator().manual_seed(13)
    adapters = {}
    for prefix, transformer in (("visual.transformer", model.visual.transformer), ("transformer", model.transformer)):
        for index, block in enumerate(transformer.resblocks):
            targets = [("attn.in_proj", block.attn, "in_proj_weight"), ("attn.out_proj", block.attn.out_proj, "weight"),
                       ("mlp.c_fc", block.mlp.c_fc, "weight"), ("mlp.c_proj", block.mlp.c_proj, "weight")]
            for target, module, attribute in targets:
                out_features, in_features = getattr(module, attribute).shape
                down = (torch.rand((rank, in_features), generator=generator) * 2 - 1) / math.sqrt(in_features)
                up = torch.randn((out_features, rank), generator=generator) * 0.1
                lowrank = LowRank(down, up, alpha / rank)
                parametrize.register_parametrization(module, attribute, lowrank)
                name = f"{prefix}.resblocks.{index}.{target}"
                weight_name = f"{prefix}.resblocks.{index}.{target.replace('.in_proj', '.in_proj_weight') if target == 'attn.in_proj' else target + '.weight'}"
                adapters[name] = (lowrank, module, attribute, weight_name)
    named = {}
    for name, (lowrank, _, _, _) in adapters.items():
        named[f"{name}.lora_A.weight"] = lowrank.down
        named[f"{name}.lora_B.weight"] = lowrank.up
    tensors = {f"init/{n}": p.detach().clone() for n, p in named.items()}
    optimizer = torch.optim.AdamW([{"params": list(named.values()), "weight_decay": WEIGHT_DECAY}],
                                  lr=BASE_LR, betas=(0.9, 0.98), eps=1e-6)
    lr = cosine_lr(optimizer, BASE_LR, WARMUP, STEPS)(0)
    images, tokens = batch(torch.Generator().manual_seed(11))
    image_features, text_features, logit_scale = model(images, tokens)
    loss = ClipLoss()(image_features, text_features, logit_scale)
    loss.backward()
    tensors.update({f"grad/{n}": p.grad.detach().clone() for n, p in named.items()})
    optimizer.step()
    tensors.update({f"after/{n}": p.detach().clone() for n, p in named.items()})
    with torch.no_grad():
        for name, (_, module, attribute, weight_name) in adapters.items():
            tensors[f"merged/{weight_name}"] = getattr(module, attribute).detach().clone()
    tensors.update({"images": images, "tokens": tokens.float(), "loss": loss.detach().reshape([]), "lr": torch.tensor(lr)})
    folder = os.path.join(OUT, "lora")
    os.makedirs(folder)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, "step.safetensors"))
    print(f"lora: loss {loss.item():.6f}, lr {lr}, {len(adapters)} adapters")


PIPELINE_CONFIG = {"embed_dim": 8,
                   "vision_cfg": {"image_size": 32, "layers": 1, "width": 16, "patch_size": 8, "head_width": 8},
                   "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 8, "heads": 2, "layers": 1}}
CAPTIONS = ["a red square on grey", "two small blue circles", "noise, with a green stripe at the top", "an empty picture"]


def pipeline_step():
    import numpy as np
    import open_clip
    from PIL import Image
    folder = os.path.join(OUT, "pipeline")
    data = os.path.join(folder, "data")
    os.makedirs(data)
    torch.manual_seed(21)
    model = CLIP(**PIPELINE_CONFIG)
    tokens = open_clip.tokenize(CAPTIONS, context_length=16)
    rows = torch.unique(tokens)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
        # Rows no caption uses are zero, so the fixture stores only the used ones (`token_rows`,
        # `token_embedding_rows`) and the test rebuilds the full [49408, 8] table.
        used = model.token_embedding.weight[rows].clone()
        model.token_embedding.weight.zero_()
        model.token_embedding.weight[rows] = used
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    del state["token_embedding.weight"]
    save_file(state, os.path.join(folder, "open_clip_model.safetensors"))
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": PIPELINE_CONFIG}, f, indent=2)
    rng = np.random.default_rng(5)
    names = []
    for index, (height, width) in enumerate([(40, 48), (32, 32), (57, 35), (36, 64)]):
        name = f"{index}.png"
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(os.path.join(data, name))
        names.append(name)
    with open(os.path.join(data, "train.tsv"), "w") as f:
        f.write("filepath\ttitle\n" + "".join(f"{n}\t{c}\n" for n, c in zip(names, CAPTIONS)))

    transform = open_clip.image_transform(32, is_train=False)
    images = torch.stack([transform(Image.open(os.path.join(data, n))) for n in names])
    embedding_rows = model.token_embedding.weight[rows].detach().clone()
    model.train()
    optimizer = torch.optim.AdamW(parameter_groups(model), lr=BASE_LR, betas=(0.9, 0.98), eps=1e-6)
    lr = cosine_lr(optimizer, BASE_LR, WARMUP, 1)(0)
    image_features, text_features, logit_scale = model(images, tokens)
    loss = ClipLoss()(image_features, text_features, logit_scale)
    loss.backward()
    grads, after = {}, {}
    for n, p in model.named_parameters():
        grads[n] = p.grad.detach().clone()
    optimizer.step()
    with torch.no_grad():
        model.logit_scale.clamp_(0, math.log(100))
    for n, p in model.named_parameters():
        after[n] = p.detach().clone()
    embedding = "token_embedding.weight"
    assert torch.count_nonzero(grads[embedding].abs().sum(1)) <= len(rows)
    grads[embedding], after[embedding] = grads[embedding][rows], after[embedding][rows]
    tensors = {"loss": loss.detach().reshape([]), "lr": torch.tensor(lr), "token_rows": rows.float(), "images": images,
               "token_embedding_rows": embedding_rows}
    tensors.update({f"grad/{n}": t for n, t in grads.items()})
    tensors.update({f"after/{n}": t for n, t in after.items()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, "step.safetensors"))
    print(f"pipeline: loss {loss.item():.6f}, lr {lr}, {len(rows)} token rows")


def main():
    wanted = sys.argv[1:] or ["clip", "siglip", "siglip_model", "xlmr_model", "distill", "lora", "pipeline"]
    if not sys.argv[1:]:
        shutil.rmtree(OUT, ignore_errors=True)
    for name in wanted:
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
        if name == "lora":
            lora_step()
        elif name == "pipeline":
            pipeline_step()
        else:
            one_step(name)
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(OUT) for f in files)
    print(f"fixtures: {total // 1024} KB")


if __name__ == "__main__":
    main()
