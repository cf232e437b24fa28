#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (Fuzz/), made from the committed fixtures and a few small files
built here with the standard library only (CI runs this; it has no torch). Writes Fuzz/corpus/<Target>/
(not committed: `make fuzz` makes it anew).

    python3 Scripts/make_fuzz_corpus.py
"""
import glob
import io
import json
import os
import shutil
import struct
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
SEPARATOR = b"\n\x00\n"   # FuzzInput.split: config | weights, vocab.json | merges.txt


def folder(target):
    path = os.path.join(CORPUS, target)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(target, name, data):
    with open(os.path.join(CORPUS, target, name), "wb") as handle:
        handle.write(data)


def copy(target, patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            if os.path.getsize(path) <= 200_000:
                shutil.copy(path, os.path.join(CORPUS, target, os.path.basename(path)))


def safetensors(tensors):
    """A safetensors file of float32 zeros with these shapes."""
    header, offset, data = {}, 0, b""
    for name, shape in tensors:
        count = 1
        for side in shape:
            count *= side
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
        data += b"\0" * (4 * count)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def tiny_model(width=8, embed=4, patch=4, image=8, context=6, vocab=10):
    """Names and shapes of an open_clip ViT CLIP with one block per tower."""
    def block(prefix, w):
        return [(f"{prefix}.ln_1.weight", [w]), (f"{prefix}.ln_1.bias", [w]), (f"{prefix}.attn.in_proj_weight", [3 * w, w]),
                (f"{prefix}.attn.in_proj_bias", [3 * w]), (f"{prefix}.attn.out_proj.weight", [w, w]),
                (f"{prefix}.attn.out_proj.bias", [w]), (f"{prefix}.ln_2.weight", [w]), (f"{prefix}.ln_2.bias", [w]),
                (f"{prefix}.mlp.c_fc.weight", [4 * w, w]), (f"{prefix}.mlp.c_fc.bias", [4 * w]),
                (f"{prefix}.mlp.c_proj.weight", [w, 4 * w]), (f"{prefix}.mlp.c_proj.bias", [w])]
    grid = image // patch
    return ([("logit_scale", []), ("visual.class_embedding", [width]), ("visual.positional_embedding", [grid * grid + 1, width]),
             ("visual.proj", [width, embed]), ("visual.conv1.weight", [width, 3, patch, patch]),
             ("visual.ln_pre.weight", [width]), ("visual.ln_pre.bias", [width]), ("visual.ln_post.weight", [width]),
             ("visual.ln_post.bias", [width])] + block("visual.transformer.resblocks.0", width)
            + [("token_embedding.weight", [vocab, width]), ("positional_embedding", [context, width]),
               ("ln_final.weight", [width]), ("ln_final.bias", [width]), ("text_projection", [width, embed])]
            + block("transformer.resblocks.0", width))


def main():
    folder("FuzzImageDecoder")
    copy("FuzzImageDecoder", ["Tests/CLIPImageTests/Fixtures/images/*"])

    folder("FuzzSafeTensors")
    write("FuzzSafeTensors", "tiny_model.safetensors", safetensors(tiny_model()))
    write("FuzzSafeTensors", "scalar_and_empty.safetensors", safetensors([("a", []), ("b", [0, 3]), ("c", [2, 2])]))

    folder("FuzzTorchCheckpoint")
    copy("FuzzTorchCheckpoint", ["Tests/CLIPTensorTests/Fixtures/torch/*.pt", "Tests/CLIPTensorTests/Fixtures/torch/*.pkl"])

    folder("FuzzModelConfiguration")
    config = {"embed_dim": 4, "vision_cfg": {"image_size": 8, "layers": 1, "width": 8, "patch_size": 4, "head_width": 4},
              "text_cfg": {"context_length": 6, "vocab_size": 10, "width": 8, "heads": 2, "layers": 1}}
    write("FuzzModelConfiguration", "model_cfg.json", json.dumps(config).encode())
    write("FuzzModelConfiguration", "open_clip_config.json",
          json.dumps({"model_cfg": config, "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                                                              "interpolation": "bilinear", "resize_mode": "squash"}}).encode())
    write("FuzzModelConfiguration", "resnet.json", json.dumps({"embed_dim": 8, "vision_cfg": {"image_size": 32, "layers": [1, 1, 1, 1],
          "width": 8, "head_width": 8}, "text_cfg": {"context_length": 6, "vocab_size": 10, "width": 8, "heads": 2, "layers": 1}}).encode())

    folder("FuzzModelLoading")
    weights = safetensors(tiny_model())
    write("FuzzModelLoading", "open_clip", json.dumps({"model_cfg": config}).encode() + SEPARATOR + weights)
    with open(os.path.join(ROOT, "Tests/CLIPModelTests/Fixtures/vit_quickgelu/hugging_face/config.json"), "rb") as handle:
        write("FuzzModelLoading", "hugging_face_config", b"h" + handle.read() + SEPARATOR + weights)

    folder("FuzzTokenizer")
    for index, text in enumerate(["a photo of a cat.", "A PHOTO OF THE Dog's ball!!", "ünïcödé ½ ﬁ &amp; &lt;b&gt;", "🙂 漢字 ١٢٣ 123",
                                  "line one\nline two\r\n\tindented", "Ã©tÃ© mojibake"]):
        write("FuzzTokenizer", f"text{index}", text.encode())

    folder("FuzzVocabulary")
    merges = "#version: 0.2\nt h\nth e</w>\na </w>\nc a\nca t</w>\n"
    write("FuzzVocabulary", "merges.txt", merges.encode())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "a": 2, "t": 3, "h": 4, "th": 5, "the</w>": 6}
    write("FuzzVocabulary", "hugging_face", json.dumps(vocab).encode() + SEPARATOR + merges.encode())
    config = {"bos_token": "<|startoftext|>", "eos_token": {"content": "<|endoftext|>"}, "model_max_length": 77}
    write("FuzzVocabulary", "hugging_face_config",
          json.dumps(vocab).encode() + SEPARATOR + merges.encode() + SEPARATOR + json.dumps(config).encode())

    folder("FuzzTable")
    write("FuzzTable", "tsv", b"filepath\ttitle\na.png\ta cat\nb.png\t\"quoted\ttab\"\n")
    write("FuzzTable", "csv", b"\x01filepath,label\r\n\"a,b.png\",\"he said \"\"hi\"\"\"\r\nc.png,2\r\n")

    folder("FuzzWebDataset")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as shard:
        for key in ("s0", "s1"):
            for suffix, data in (("txt", b"a small picture"), ("json", b'{"caption": "json caption"}'), ("png", b"\x89PNG\r\n\x1a\n")):
                info = tarfile.TarInfo(f"{key}.{suffix}")
                info.size = len(data)
                shard.addfile(info, io.BytesIO(data))
    write("FuzzWebDataset", "shard.tar", buffer.getvalue())

    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")


if __name__ == "__main__":
    main()
