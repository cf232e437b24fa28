#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (Fuzz/), made from the committed fixtures and a few small files
built here with the standard library only (CI runs this; it has no torch). Writes Fuzz/corpus/<Target>/
(not committed: `make fuzz` makes it anew).

    python3 Scripts/make_fuzz_corpus.py
"""
import base64
import glob
import io
import json
import os
import shutil
import sqlite3
import struct
import tarfile
import zlib

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


def safetensors(tensors, dtypes=None):
    """A safetensors file of zeros with these shapes, float32 unless `dtypes` names another type."""
    sizes = {"F32": 4, "BF16": 2, "I8": 1}
    header, offset, data = {}, 0, b""
    for name, shape in tensors:
        dtype = (dtypes or {}).get(name, "F32")
        count = sizes[dtype]
        for side in shape:
            count *= side
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + count]}
        offset += count
        data += b"\0" * count
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


def vector_file(width, element_code, rows):
    """A CLIPVEC1 vector file (VectorMatrix): header, then rows of float32 (code 1) or float16 (code 2)."""
    header = b"CLIPVEC1" + struct.pack("<6I", 1, width, element_code, 0, 0, 0)
    form = "<%d%s" % (width, "f" if element_code == 1 else "e")
    return header + b"".join(struct.pack(form, *row) for row in rows)


def catalogue(path):
    """An index catalogue as CLIPSearch's migration leaves it (schema 1, GRDB's migration record,
    WAL mode), holding one model of width 3, three files (two of one content, one failed) and
    two vector rows."""
    db = sqlite3.connect(path)
    db.executescript("""
        PRAGMA page_size = 512;
        PRAGMA journal_mode = WAL;
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1');
        CREATE TABLE model (id INTEGER PRIMARY KEY, reference TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL, element TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE file (path TEXT PRIMARY KEY, size INTEGER NOT NULL, modified REAL NOT NULL, content_hash TEXT,
            failure TEXT, pixel_width INTEGER, pixel_height INTEGER);
        CREATE INDEX file_content ON file(content_hash);
        CREATE TABLE vector (model_id INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE, content_hash TEXT NOT NULL,
            row INTEGER NOT NULL, PRIMARY KEY (model_id, content_hash));
        CREATE UNIQUE INDEX vector_row ON vector(model_id, row);
        INSERT INTO model VALUES (1, 'tiny', 'f00dfeedf00dfeedf00dfeed', 3, 'f32', 0);
        INSERT INTO file VALUES ('/photos/a.jpg', 10, 1.5, 'h1', NULL, 4, 3), ('/photos/b.jpg', 10, 2.5, 'h1', NULL, 4, 3),
            ('/photos/sub/c.png', 20, 3.5, 'h2', NULL, NULL, NULL), ('/photos/broken.jpg', 5, 4.5, NULL, 'truncated', NULL, NULL);
        INSERT INTO vector VALUES (1, 'h1', 0), (1, 'h2', 1), (1, 'gone', 2);
        PRAGMA user_version = 1;
        """)
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(path, "rb") as handle:
        return handle.read()


def hnsw_graph(m, links, levels, upper, entry):
    """A CLIPHNSW graph file (HNSWGraph+File.swift): `links[node]` on level 0, `upper[node]` the lists of
    its levels above 0; without (`body`) and with its CRC-32."""
    count, top = len(links), max(levels, default=-1)
    body = b"CLIPHNSW" + struct.pack("<IIIiQq", 1, m, 16, top, count, entry)
    body += bytes(levels) + bytes(len(node) for node in links)
    for node in links:
        body += struct.pack("<%di" % (2 * m), *(node + [-1] * (2 * m - len(node))))
    for node in range(count):
        for level in upper.get(node, []):
            body += bytes([len(level)]) + struct.pack("<%di" % m, *(level + [-1] * (m - len(level))))
    return body, body + struct.pack("<I", zlib.crc32(body))


def tokenizer_files(fixtures):
    """tokenizer.json seeds under libFuzzer's 64 KB input limit: the small fixtures whole, the Unigram
    ones with a shortened vocabulary and their Precompiled normaliser kept (cut to its first rules),
    and a SentencePiece model rebuilt with only a few pieces."""
    folder("FuzzTokenizerFile")
    for kind in ("wordpiece", "bpe_gemma"):
        with open(os.path.join(fixtures, kind, "tokenizer.json"), "rb") as file:
            data = json.load(file)
        data["model"]["vocab"] = dict(list(data["model"]["vocab"].items())[:600])
        kept = set(data["model"]["vocab"])
        if "merges" in data["model"]:
            data["model"]["merges"] = [m for m in data["model"]["merges"]
                                       if m[0] in kept and m[1] in kept and m[0] + m[1] in kept][:300]
        write("FuzzTokenizerFile", kind + ".json", json.dumps(data, ensure_ascii=False).encode())
    with open(os.path.join(fixtures, "unigram_xlmr", "tokenizer.json"), "rb") as file:
        data = json.load(file)
    data["model"]["vocab"] = data["model"]["vocab"][:400]
    charsmap = data["normalizer"]["normalizers"][0]
    write("FuzzTokenizerFile", "unigram_no_charsmap.json",
          json.dumps({**data, "normalizer": data["normalizer"]["normalizers"][1]}, ensure_ascii=False).encode())
    blob = base64.b64decode(charsmap["precompiled_charsmap"])
    trie_size = struct.unpack("<I", blob[:4])[0]
    write("FuzzTokenizerFile", "precompiled_header.json", json.dumps({
        "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["\u2581a", -1.0]]},
        "normalizer": {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(blob[:4 + min(trie_size, 4096)] + b"a\0").decode()},
    }).encode())
    with open(os.path.join(fixtures, "unigram_t5", "spiece.model"), "rb") as file:
        model = file.read()
    write("FuzzTokenizerFile", "spiece_identity.model", sentencepiece_without_charsmap(model))


def sentencepiece_without_charsmap(model):
    """The model's top-level protobuf fields with the normaliser's compiled rules left out."""
    def varint(data, position):
        value, shift = 0, 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, position
    out = bytearray()
    position = 0
    while position < len(model):
        start = position
        key, position = varint(model, position)
        assert key & 7 == 2, "every top-level field of a ModelProto is a message"
        length, position = varint(model, position)
        position += length
        if key >> 3 != 3:
            out += model[start:position]
    name = b"identity"
    spec = bytes([0x0A, len(name)]) + name
    return bytes(out) + bytes([0x1A, len(spec)]) + spec


def main():
    folder("FuzzImageDecoder")
    copy("FuzzImageDecoder", ["Tests/CLIPImageTests/Fixtures/images/*"])

    folder("FuzzSafeTensors")
    write("FuzzSafeTensors", "tiny_model.safetensors", safetensors(tiny_model()))
    write("FuzzSafeTensors", "scalar_and_empty.safetensors", safetensors([("a", []), ("b", [0, 3]), ("c", [2, 2])]))
    write("FuzzSafeTensors", "low_precision.safetensors",
          safetensors([("q.weight", [4, 3]), ("q.weight_scale", [4]), ("h.weight", [2, 3, 2, 2])],
                      {"q.weight": "I8", "h.weight": "BF16"}))

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
    tokenizer_files(os.path.join(ROOT, "Tests", "CLIPTokenizerTests", "Fixtures", "tokenizer_json"))
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

    folder("FuzzVectorFile")
    rows = [[0.6, 0.8, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0]]
    write("FuzzVectorFile", "f32_width3", b"\x01" + vector_file(3, 1, rows)[:-5])   # cut short: a partial last row
    write("FuzzVectorFile", "f16_width8", b"\x06" + vector_file(8, 2, [[0.25] * 8, [-0.5] * 8]))

    folder("FuzzIndexCatalogue")
    scratch = os.path.join(CORPUS, "FuzzIndexCatalogue", "scratch.sqlite")
    database = catalogue(scratch)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(scratch + suffix):
            os.remove(scratch + suffix)
    write("FuzzIndexCatalogue", "index", database + SEPARATOR + vector_file(3, 1, rows))

    folder("FuzzHNSWGraph")
    body, whole = hnsw_graph(2, [[1, 2], [0, 3], [0, 3], [1, 2]], [1, 0, 0, 1], {0: [[3]], 3: [[0]]}, 0)
    write("FuzzHNSWGraph", "four_nodes", whole)
    write("FuzzHNSWGraph", "four_nodes_unsealed", body)
    write("FuzzHNSWGraph", "empty_unsealed", b"CLIPHNSW" + struct.pack("<IIIiQq", 1, 2, 16, -1, 0, -1))

    folder("FuzzPostgresValues")
    for name, url in [("full", "postgresql://alice:p%40ss@db.example.org:6543/photos?sslmode=require&schema=team_a"),
                      ("ipv6", "postgres://bob@[::1]/clip"), ("bad_schema", "postgresql://a@h/d?schema=Bad-Name")]:
        write("FuzzPostgresValues", "url_" + name, b"\x00" + url.encode())
    write("FuzzPostgresValues", "vector_3", b"\x01\x03" + struct.pack(">hh3f", 3, 0, 0.5, -1.0, 2.0))
    write("FuzzPostgresValues", "vector_short", b"\x01\x03" + struct.pack(">hh2f", 3, 0, 0.5, -1.0))

    folder("FuzzRequestDecoding")
    with open(os.path.join(ROOT, "Tests/CLIPImageTests/Fixtures/images/odd_97x61.png"), "rb") as handle:
        png = base64.b64encode(handle.read()).decode()
    bodies = [
        (0, {"input": ["a dog", {"text": "a cat"}, {"image": png}], "model": "m", "encoding_format": "base64"}),
        (0, {"input": [{"image": "data:image/png;base64," + png}], "dimensions": 8}),
        (1, {"images": [png], "labels": "cat, dog", "templates": ["a {}."], "top_k": 2}),
        (2, {"query": [{"text": "a", "weight": 2}, {"image": png, "weight": -0.5}, {"embedding": [0.5, 0.5]}, {"id": 3}],
             "top_k": 5, "threshold": 0.1, "under": "x", "template": "a {}"}),
        (3, {"text": "a dog", "image": png, "embedding_input": [1, 0], "modality": "image", "num_images": 3,
             "num_result_ids": 9, "indice_name": "i", "deduplicate": True, "use_safety_model": True}),
        (4, {"ids": [1, 2, 3], "indice_name": "i"}),
        (5, {"index": "i", "threshold": 0.9}),
    ]
    for number, (route, body) in enumerate(bodies):
        write("FuzzRequestDecoding", f"route{route}_{number}", bytes([route]) + json.dumps(body).encode())

    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")


if __name__ == "__main__":
    main()
