#!/usr/bin/env python3
"""PyTorch checkpoint fixtures: every container the unpickler must read, and files it must refuse.

Tensor level (Tests/CLIPTensorTests/Fixtures/torch/):
  `tensors_zip.pt` (torch.save, zip format) and `tensors_legacy.pt` (`_use_new_zipfile_serialization=
  False`) hold the same dict of awkward tensors: every dtype the reader converts, a transposed
  (strided) tensor, two views sharing one storage at different offsets, a 0-d scalar, an empty tensor.
  `tensors_expected.safetensors` holds each as a contiguous float32 (integers and booleans as floats).
  Malicious or damaged files that must be refused with a typed error:
    `evil_system.pkl`        a bare pickle whose REDUCE calls os.system (GLOBAL, protocol 2)
    `evil_zip.pt`            a torch.save zip whose data.pkl was swapped for one calling builtins.eval
                             (STACK_GLOBAL, protocol 4)
    `unknown_class.pt`       a zip whose data.pkl reduces on `__main__.Payload`
    `truncated_zip.pt`       the first 60% of tensors_zip.pt
    `truncated_legacy.pt`    tensors_legacy.pt without its last 100 bytes
    `missing_storage.pt`     tensors_zip.pt without the archive member of storage 0

Model level (Tests/CLIPModelTests/Fixtures/torch/): one tiny OpenAI-style ViT CLIP (64-channel
heads, so OpenAI's `build_model` rebuilds it from its state dict) stored as
  `weights_f32.safetensors`, `weights_f16.safetensors`, `weights_bf16.safetensors` (the same state
  dict, rounded), and as PyTorch checkpoints of those weights:
  `state_dict_f32.pt`        torch.save zip
  `state_dict_f16.pth`       torch.save legacy format, float16
  `training_bf16.pt`         an open_clip-style training checkpoint: {"epoch", "name", "state_dict"
                             with DistributedDataParallel's "module." prefix, "optimizer"}, bfloat16
  `openai_torchscript.pt`    OpenAI's published form: openai `clip.model.build_model` from the state
                             dict, traced with torch.jit (forward, encode_image, encode_text), the
                             scalars input_resolution / context_length / vocab_size as buffers, and
                             float16 weights, as OpenAI's archives store them
  `expected.safetensors`     images, tokens, and openai's model outputs from the f32 weights (`f32/…`)
                             and from the f16-rounded weights (`f16/…`).

    pip install torch open_clip_torch openai-clip safetensors   # openai-clip: its clip/model.py
    python Scripts/make_checkpoint_fixtures.py
"""
import importlib.util
import io
import os
import pickle
import shutil
import zipfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
TENSOR_OUT = os.path.join(HERE, "..", "Tests", "CLIPTensorTests", "Fixtures", "torch")
MODEL_OUT = os.path.join(HERE, "..", "Tests", "CLIPModelTests", "Fixtures", "torch")
VOCAB, EOT = 100, 99


def openai_model_module():
    """OpenAI's clip/model.py, imported alone: `import clip` needs pkg_resources for its loader."""
    import site
    for root in site.getsitepackages():
        path = os.path.join(root, "clip", "model.py")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("openai_clip_model", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit("openai-clip is not installed (pip install openai-clip)")


def fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)


# Tensor level -------------------------------------------------------------------------------------

def awkward_tensors(generator):
    base = torch.randn((6, 5), generator=generator)
    shared = torch.arange(24, dtype=torch.float32) * 0.5
    return {
        "f32": torch.randn((3, 4), generator=generator),
        "f32_transposed": base.t(),                     # strides (1, 5)
        "f32_view_a": shared[2:10].view(2, 4),          # storage offset 2, shared storage
        "f32_view_b": shared[13:22:3],                  # offset 13, stride 3
        "f64": torch.randn((2, 3), generator=generator, dtype=torch.float64),
        "f16": torch.randn((5,), generator=generator).half(),
        "bf16": torch.randn((2, 2, 3), generator=generator).bfloat16(),
        "bf16_permuted": torch.randn((2, 3, 4), generator=generator).bfloat16().permute(2, 0, 1),
        "i64": torch.tensor([-3, 0, 7, 123456], dtype=torch.int64),
        "i32": torch.tensor([[1, -2], [3, -4]], dtype=torch.int32),
        "u8": torch.tensor([0, 17, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros((0, 4)),
    }


def evil_reduce_pickle(protocol):
    """A pickle that would run code if loaded by Python's unpickler: never loaded here."""
    if protocol == 2:   # GLOBAL 'os system', then REDUCE
        return b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00echo pwned!\x85R."
    # STACK_GLOBAL 'builtins' 'eval', then REDUCE
    return (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94"
            b"\x8c\x0eprint('pwned')\x94\x85\x94R\x94.")


def unknown_class_pickle():
    return b"\x80\x02c__main__\nPayload\nK\x01\x85R."


def rewrite_zip(source, destination, replace=None, drop=None):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as out:
        for item in original.infolist():
            if drop and item.filename.endswith(drop):
                continue
            data = original.read(item)
            if replace and item.filename.endswith(replace[0]):
                data = replace[1]
            out.writestr(item.filename, data)


def make_tensor_fixtures():
    fresh(TENSOR_OUT)
    generator = torch.Generator().manual_seed(505)
    tensors = awkward_tensors(generator)
    zip_path = os.path.join(TENSOR_OUT, "tensors_zip.pt")
    legacy_path = os.path.join(TENSOR_OUT, "tensors_legacy.pt")
    torch.save(tensors, zip_path)
    torch.save(tensors, legacy_path, _use_new_zipfile_serialization=False)
    assert tensors["f32_view_a"].untyped_storage().data_ptr() == tensors["f32_view_b"].untyped_storage().data_ptr()
    for path in (zip_path, legacy_path):
        loaded = torch.load(path, weights_only=True)
        assert all(torch.equal(loaded[k], v) for k, v in tensors.items())
    save_file({k: v.float().contiguous() for k, v in tensors.items()},
              os.path.join(TENSOR_OUT, "tensors_expected.safetensors"))

    with open(os.path.join(TENSOR_OUT, "evil_system.pkl"), "wb") as f:
        f.write(evil_reduce_pickle(2))
    rewrite_zip(zip_path, os.path.join(TENSOR_OUT, "evil_zip.pt"), replace=("data.pkl", evil_reduce_pickle(4)))
    rewrite_zip(zip_path, os.path.join(TENSOR_OUT, "unknown_class.pt"), replace=("data.pkl", unknown_class_pickle()))
    rewrite_zip(zip_path, os.path.join(TENSOR_OUT, "missing_storage.pt"), drop="/data/0")
    data = open(zip_path, "rb").read()
    open(os.path.join(TENSOR_OUT, "truncated_zip.pt"), "wb").write(data[: len(data) * 6 // 10])
    data = open(legacy_path, "rb").read()
    open(os.path.join(TENSOR_OUT, "truncated_legacy.pt"), "wb").write(data[:-100])
    # Python's own loader refuses the evil files too (weights_only), as a sanity check of the fixtures.
    for name in ("evil_zip.pt", "unknown_class.pt"):
        try:
            torch.load(os.path.join(TENSOR_OUT, name), weights_only=True)
            raise SystemExit(f"{name} loaded in Python")
        except pickle.UnpicklingError:
            pass


# Model level --------------------------------------------------------------------------------------

def randomized_state_dict(openai, generator):
    model = openai.CLIP(embed_dim=16, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=8,
                        context_length=16, vocab_size=VOCAB, transformer_width=64, transformer_heads=1,
                        transformer_layers=1)
    state = {}
    for name, tensor in model.state_dict().items():
        if name == "logit_scale":
            state[name] = torch.tensor(2.659260036932778)
        else:
            state[name] = torch.randn(tensor.shape, generator=generator) * 0.1
    return state


def inputs(generator):
    images = torch.randn((3, 3, 32, 32), generator=generator)
    tokens = torch.zeros((3, 16), dtype=torch.long)
    for row, end in enumerate([5, 15, 9]):
        tokens[row, 0] = EOT - 1
        tokens[row, 1:end] = torch.randint(1, EOT - 1, (end - 1,), generator=generator)
        tokens[row, end] = EOT
    return images, tokens


def openai_outputs(openai, state, images, tokens):
    # build_model rounds the weights to float16 (convert_weights); load them again at full precision.
    model = openai.build_model({k: v.clone() for k, v in state.items()}).float().eval()
    model.load_state_dict(state)
    with torch.no_grad():
        return model, model.encode_image(images), model.encode_text(tokens)


def torchscript_archive(model, images, tokens, path):
    """Traces like OpenAI's release: scalars as buffers, weights stored in float16."""
    for name, value in [("input_resolution", 32), ("context_length", 16), ("vocab_size", VOCAB)]:
        if hasattr(model, name):
            delattr(model, name)
        model.register_buffer(name, torch.tensor(value))
    traced = torch.jit.trace_module(model, {"forward": (images, tokens), "encode_image": (images,),
                                            "encode_text": (tokens,)})
    traced.half()
    torch.jit.save(traced, path)
    reloaded = torch.jit.load(path)
    names = set(reloaded.state_dict())
    assert {"input_resolution", "context_length", "vocab_size", "visual.proj"} <= names, names
    assert reloaded.state_dict()["visual.proj"].dtype == torch.float16


def make_model_fixtures():
    fresh(MODEL_OUT)
    openai = openai_model_module()
    generator = torch.Generator().manual_seed(2027)
    state = randomized_state_dict(openai, generator)
    images, tokens = inputs(generator)
    half = {k: v.half() for k, v in state.items()}
    bf16 = {k: v.bfloat16() for k, v in state.items()}

    save_file(state, os.path.join(MODEL_OUT, "weights_f32.safetensors"))
    save_file(half, os.path.join(MODEL_OUT, "weights_f16.safetensors"))
    save_file(bf16, os.path.join(MODEL_OUT, "weights_bf16.safetensors"))
    torch.save(state, os.path.join(MODEL_OUT, "state_dict_f32.pt"))
    torch.save(half, os.path.join(MODEL_OUT, "state_dict_f16.pth"), _use_new_zipfile_serialization=False)
    optimizer_state = {"state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.zeros(4)}},
                       "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.2,
                                         "params": [0]}]}
    torch.save({"epoch": 3, "name": "tiny-run", "state_dict": {"module." + k: v for k, v in bf16.items()},
                "optimizer": optimizer_state}, os.path.join(MODEL_OUT, "training_bf16.pt"))

    expected = {"images": images.contiguous(), "tokens": tokens.float().contiguous()}
    model, image, text = openai_outputs(openai, state, images, tokens)
    expected["f32/image_features"], expected["f32/text_features"] = image.contiguous(), text.contiguous()
    rounded = {k: v.float() for k, v in half.items()}
    model, image, text = openai_outputs(openai, rounded, images, tokens)
    expected["f16/image_features"], expected["f16/text_features"] = image.contiguous(), text.contiguous()
    torchscript_archive(model, images, tokens, os.path.join(MODEL_OUT, "openai_torchscript.pt"))
    save_file(expected, os.path.join(MODEL_OUT, "expected.safetensors"))


def main():
    make_tensor_fixtures()
    make_model_fixtures()
    for directory in (TENSOR_OUT, MODEL_OUT):
        total = sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory))
        print(f"{os.path.relpath(directory)}: {len(os.listdir(directory))} files, {total // 1024} KB")


if __name__ == "__main__":
    main()
