#!/usr/bin/env python3
"""CLIPSearch beside faiss-cpu and a Python indexing peer, in one run (`make bench`).

1. Queries, one at a time, on --vectors unit vectors of width 512 drawn from 1,000 Gaussian clusters
   on the sphere (each vector's cosine with its centre about 0.8, as real embeddings cluster):
   exact search over float32 (faiss IndexFlatIP) and float16 (faiss IndexScalarQuantizer fp16), and
   HNSW with M = 32 and the same efConstruction (faiss IndexHNSWFlat) at the smallest breadth from EFS
   reaching recall@10 ≥ 0.95 against exact; graph build time and memory beside faiss's.
2. Indexing --photos JPEG photos of mixed sizes (made from the shared reference photos by resizing,
   cropping and re-encoding) with a randomly initialised ViT-B/32: `clip index` against the usual
   Python way (Pillow + open_clip's torchvision preprocessing in a 2-worker DataLoader, open_clip,
   vectors into SQLite as rclip keeps them). Then `clip index` again over the unchanged photos, and
   over 10,000 unchanged small photos.
3. `clip search "a red car"` from process start to its last line, on an index of 100,000 files with
   ViT-B/32 (weights memory-mapped; only the text tower runs).

Both sides use the machine's threads (2 here). Run nothing else meanwhile: PyTorch's and faiss's
thread pools collapse under foreign load.

    pip install numpy faiss-cpu open_clip_torch pillow
    python3 Benchmarks/search.py --clip .build/release/clip --search-bench .build/release/clip-search-bench \\
        [--vectors 1000000] [--hnsw-vectors 1000000] [--photos 2000] [--skip queries,exact,indexing,end-to-end]
"""
import argparse
import io
import json
import os
import resource
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

WIDTH = 512
CLUSTERS = 1_000
EFS = [10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 96, 128, 192, 256, 384, 512]
WORK = os.environ.get("CLIP_BENCH_WORK", os.path.join(tempfile.gettempdir(), "clip-search-bench"))
REFERENCE = os.environ.get("CLIP_REFERENCE_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "reference"))


def clustered(count, seed, centres):
    """Unit vectors around `centres`, float32, made in blocks to bound memory."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, WIDTH), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        block = centres[rng.integers(0, CLUSTERS, size=n)] + 0.033 * rng.standard_normal((n, WIDTH), dtype=np.float32)
        out[start:start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def write_vectors(path, vectors, element):
    """A CLIPVEC1 file (VectorMatrix): 32-byte header, then the rows."""
    with open(path, "wb") as f:
        f.write(b"CLIPVEC1" + struct.pack("<6I", 1, WIDTH, 2 if element == "f16" else 1, 0, 0, 0))
        for start in range(0, len(vectors), 100_000):
            f.write(vectors[start:start + 100_000].astype(np.float16 if element == "f16" else "<f4").tobytes())


def run_json(arguments):
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed: {result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def recall(found, truth):
    return float(np.mean([len(set(a[a >= 0]) & set(b)) / len(b) for a, b in zip(found, truth)]))


def time_queries(search, queries):
    for query in queries[:20]:
        search(query)
    latencies = []
    start = time.perf_counter()
    for query in queries:
        begin = time.perf_counter()
        search(query)
        latencies.append((time.perf_counter() - begin) * 1e3)
    total = time.perf_counter() - start
    return len(queries) / total, float(np.median(latencies))


def queries_section(args, exact=True):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((CLUSTERS, WIDTH)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = clustered(args.vectors, 1, centres)
    queries = clustered(args.queries, 2, centres)
    os.makedirs(WORK, exist_ok=True)
    query_file = os.path.join(WORK, "queries.f32")
    queries.astype("<f4").tofile(query_file)
    print(f"\nqueries: {args.vectors:,} clustered unit vectors of width {WIDTH}, {args.queries} queries one at a time, top 10")
    print(f"{'':34}{'swift-clip':>14}{'faiss-cpu':>14}{'ratio':>8}")

    flat = faiss.IndexFlatIP(WIDTH)
    flat.add(vectors)
    truth = flat.search(queries, 10)[1]
    for element in ("f32", "f16") if exact else ():
        path = os.path.join(WORK, f"vectors-{args.vectors}.{element}")
        write_vectors(path, vectors, element)
        results = os.path.join(WORK, f"exact-{element}.i32")
        ours = run_json([args.search_bench, "exact", path, query_file, "10", results])
        found = np.fromfile(results, dtype="<i4").reshape(-1, 10)
        if element == "f32":
            peer = flat
        else:
            peer = faiss.IndexScalarQuantizer(WIDTH, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            peer.train(vectors[:1000])
            peer.add(vectors)
        qps, median = time_queries(lambda q: peer.search(q[None], 10), queries)
        print(f"exact {element}, queries/s{'':18}{ours['queries_per_s']:14.1f}{qps:14.1f}{ours['queries_per_s'] / qps:8.2f}")
        print(f"  median ms per query{'':13}{ours['ms_median']:14.2f}{median:14.2f}   (recall@10 vs faiss flat f32: {recall(found, truth):.3f})")
        del peer
    del flat

    count = min(args.hnsw_vectors, args.vectors)
    sub = vectors[:count]
    sub_truth = faiss.IndexFlatIP(WIDTH)
    sub_truth.add(sub)
    truth = sub_truth.search(queries, 10)[1]
    del sub_truth
    path = os.path.join(WORK, f"vectors-{count}.f16")
    write_vectors(path, sub, "f16")
    graph = os.path.join(WORK, f"hnsw-{count}-{args.ef_construction}.graph")
    # A graph built before over the same vectors is reused with its build record (--rebuild to time it again).
    record_file = graph + ".json"
    if args.rebuild or not (os.path.exists(graph) and os.path.exists(record_file)):
        build = run_json([args.search_bench, "hnsw-build", path, graph, "32", str(args.ef_construction)])
        with open(record_file, "w") as f:
            json.dump(build, f)
    with open(record_file) as f:
        build = json.load(f)
    peer = faiss.IndexHNSWFlat(WIDTH, 32, faiss.METRIC_INNER_PRODUCT)
    peer.hnsw.efConstruction = args.ef_construction
    start = time.perf_counter()
    peer.add(sub)
    peer_build = time.perf_counter() - start
    peer_mib = len(faiss.serialize_index(peer)) / 1_048_576

    def tuned(run):
        for ef in EFS:
            qps, median, found_recall = run(ef)
            if found_recall >= 0.95:
                return ef, qps, median, found_recall
        return ef, qps, median, found_recall

    def ours_at(ef):
        results = os.path.join(WORK, "hnsw.i32")
        record = run_json([args.search_bench, "hnsw", path, graph, query_file, "10", str(ef), results])
        return record["queries_per_s"], record["ms_median"], recall(np.fromfile(results, dtype="<i4").reshape(-1, 10), truth)

    def peer_at(ef):
        peer.hnsw.efSearch = ef
        found = peer.search(queries, 10)[1]
        qps, median = time_queries(lambda q: peer.search(q[None], 10), queries)
        return qps, median, recall(found, truth)

    ours_ef, ours_qps, ours_median, ours_recall = tuned(ours_at)
    peer_ef, peer_qps, peer_median, peer_recall = tuned(peer_at)
    print(f"HNSW M=32 on {count:,}, queries/s{'':6}{ours_qps:14.1f}{peer_qps:14.1f}{ours_qps / peer_qps:8.2f}")
    print(f"  median ms per query{'':13}{ours_median:14.3f}{peer_median:14.3f}")
    print(f"  recall@10 (ef){'':18}{ours_recall:9.3f} ({ours_ef}){peer_recall:9.3f} ({peer_ef})")
    print(f"  build seconds{'':19}{build['seconds']:14.1f}{peer_build:14.1f}   (efConstruction {args.ef_construction} both; ours one thread, faiss {args.threads})")
    print(f"  graph MiB (+ vectors){'':11}{build['graph_mib']:8.1f} (+{count * WIDTH * 2 / 1_048_576:.0f} f16){peer_mib:8.1f} (vectors inside, f32)")


def make_photos(count, folder, sizes):
    """JPEG photos derived from the reference photos: resized, cropped and re-encoded."""
    from PIL import Image
    marker = os.path.join(folder, f".complete-{count}")
    if os.path.exists(marker):
        return
    os.makedirs(folder, exist_ok=True)
    sources = [Image.open(os.path.join(REFERENCE, "images", name)).convert("RGB")
               for name in sorted(os.listdir(os.path.join(REFERENCE, "images")))
               if name.endswith((".png", ".jpg")) and not name.startswith(("one_pixel", "wide_strip"))]
    rng = np.random.default_rng(3)
    for index in range(count):
        image = sources[index % len(sources)]
        w, h = image.size
        left, top = int(rng.uniform(0, 0.2) * w), int(rng.uniform(0, 0.2) * h)
        crop = image.crop((left, top, left + int(w * rng.uniform(0.7, 0.8)), top + int(h * rng.uniform(0.7, 0.8))))
        side = int(rng.choice(sizes))
        scale = side / max(crop.size)
        crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.BICUBIC)
        crop.save(os.path.join(folder, f"photo_{index:05d}.jpg"), quality=int(rng.integers(70, 95)))
    open(marker, "w").close()


def vit_b32(folder):
    """A randomly initialised open_clip ViT-B/32, saved as an open_clip directory."""
    import open_clip
    import torch
    from safetensors.torch import save_file
    if not os.path.exists(os.path.join(folder, "open_clip_model.safetensors")):
        os.makedirs(folder, exist_ok=True)
        torch.manual_seed(0)
        model = open_clip.create_model("ViT-B-32")
        save_file({k: v.contiguous() for k, v in model.state_dict().items() if k != "attn_mask"},
                  os.path.join(folder, "open_clip_model.safetensors"))
        with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
            json.dump({"model_cfg": open_clip.get_model_config("ViT-B-32")}, f)
    return folder


def python_indexer(model_dir, photos, database, threads):
    """The usual Python way: a DataLoader with 2 workers decodes and preprocesses (Pillow +
    torchvision through open_clip's transform), open_clip encodes batches of 32, and each file's
    path, size, mtime and vector go into SQLite (vectors as float32 BLOBs, as rclip stores them)."""
    import open_clip
    import torch
    from PIL import Image
    from safetensors.torch import load_file
    torch.set_num_threads(threads)
    model = open_clip.create_model("ViT-B-32")
    model.load_state_dict(load_file(os.path.join(model_dir, "open_clip_model.safetensors")), strict=False)
    model.eval()
    preprocess = open_clip.image_transform(224, is_train=False)
    paths = sorted(os.path.join(photos, name) for name in os.listdir(photos) if name.endswith(".jpg"))

    class Files(torch.utils.data.Dataset):
        def __len__(self):
            return len(paths)

        def __getitem__(self, index):
            return preprocess(Image.open(paths[index]).convert("RGB")), index

    db = sqlite3.connect(database)
    db.execute("CREATE TABLE IF NOT EXISTS images (filepath TEXT PRIMARY KEY, size INTEGER, modified_at REAL, vector BLOB)")
    loader = torch.utils.data.DataLoader(Files(), batch_size=32, num_workers=2)
    with torch.no_grad():
        for pixels, indices in loader:
            features = model.encode_image(pixels)
            features = features / features.norm(dim=-1, keepdim=True)
            rows = []
            for vector, index in zip(features.numpy(), indices.tolist()):
                stat = os.stat(paths[index])
                rows.append((paths[index], stat.st_size, stat.st_mtime, vector.astype("<f4").tobytes()))
            db.executemany("INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?)", rows)
            db.commit()
    db.close()
    return len(paths)


def timed(arguments):
    start = time.perf_counter()
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed: {result.stderr}")
    return time.perf_counter() - start, result.stdout


def indexing_section(args):
    import shutil
    photos = os.path.join(WORK, f"photos-{args.photos}")
    make_photos(args.photos, photos, [320, 640, 1024, 1600, 2048])
    model_dir = vit_b32(os.path.join(WORK, "vit-b-32"))
    index = os.path.join(WORK, "index-photos")
    shutil.rmtree(index, ignore_errors=True)
    ours, _ = timed([args.clip, "index", "--model", model_dir, "--index", index, "--json", photos])
    database = os.path.join(WORK, "peer.sqlite")
    if os.path.exists(database):
        os.remove(database)
    start = time.perf_counter()
    count = python_indexer(model_dir, photos, database, args.threads)
    theirs = time.perf_counter() - start
    print(f"\nindexing {count:,} JPEG photos (320–2048 px), random-init ViT-B/32")
    print(f"{'':34}{'swift-clip':>14}{'Python peer':>14}{'ratio':>8}")
    print(f"images/s{'':26}{count / ours:14.1f}{count / theirs:14.1f}{theirs / ours:8.2f}")
    again, _ = timed([args.clip, "index", "--model", model_dir, "--index", index, "--json", photos])
    print(f"clip index again, unchanged: {again:.2f} s (process start to end, ViT-B/32 weights mapped)")

    small = os.path.join(WORK, "photos-10000-small")
    make_photos(10_000, small, [64, 96])
    thumbnail = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CLIPSearchTests", "Fixtures", "thumbnail-clip")
    small_index = os.path.join(WORK, "index-small")
    shutil.rmtree(small_index, ignore_errors=True)
    timed([args.clip, "index", "--model", thumbnail, "--index", small_index, small])
    again, _ = timed([args.clip, "index", "--model", thumbnail, "--index", small_index, small])
    print(f"clip index again over 10,000 unchanged files: {again:.2f} s (goal ≤ 1 s)")


def end_to_end_section(args):
    import shutil
    model_dir = vit_b32(os.path.join(WORK, "vit-b-32"))
    index = os.path.join(WORK, "index-100k")
    if not os.path.exists(os.path.join(index, "catalogue.sqlite")):
        run_json([args.search_bench, "fill-index", index, model_dir, "100000"])
    runs = []
    for _ in range(5):
        seconds, output = timed([args.clip, "search", "--index", index, "a red car"])
        runs.append(seconds)
    print(f"\nclip search \"a red car\" on 100,000 files, ViT-B/32, process start to last line: "
          f"best {min(runs):.3f} s, median {sorted(runs)[2]:.3f} s (goal ≤ 0.3 s)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clip", default=".build/release/clip")
    parser.add_argument("--search-bench", default=".build/release/clip-search-bench")
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--hnsw-vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--photos", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip", default="", help="comma-separated: queries, exact (the exact part of queries), indexing, end-to-end")
    parser.add_argument("--rebuild", action="store_true", help="build the HNSW graph again even if one of the same vectors is there")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with open("/proc/cpuinfo") as f:
        flags = next((line.split(":")[1].split() for line in f if line.startswith("flags")), [])
    print("CPU flags:", " ".join(flag for flag in flags if flag.startswith(("avx", "fma", "f16c", "amx"))))
    if "queries" not in skip:
        queries_section(args, exact="exact" not in skip)
    if "indexing" not in skip:
        indexing_section(args)
    if "end-to-end" not in skip:
        end_to_end_section(args)


if __name__ == "__main__":
    main()
