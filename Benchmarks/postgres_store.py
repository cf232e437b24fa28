#!/usr/bin/env python3
"""The PostgreSQL + pgvector index store beside the folder store, in one run (`make bench`).

On --vectors unit vectors of width 512 drawn from 1,000 Gaussian clusters (Benchmarks/search.py's generator), both stores are filled through the same `IndexStore.commit` that `clip index` uses
(2,000 files and vectors per step: the folder appends to its vector file and commits SQLite; PostgreSQL
takes multi-row INSERTs of binary vectors in one transaction), then searched one query at a time through
`ImageIndex.search` as `clip search` and `clip serve` run it: exactly, and through an HNSW index
(M = 32, efConstruction = 80 in both: our graph file, pgvector's `hnsw` with `vector_ip_ops`) at two
breadths, with recall@10 against numpy's exact top 10. Then the per-node figures behind a 100M-vector
plan: bytes per vector on disk, ingest and build rates, query cost.

Run it beside a server: `Scripts/with_postgres.sh python3 Benchmarks/postgres_store.py --search-bench
.build/release/clip-search-bench` (make bench does). Nothing else should run meanwhile.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from search import CLUSTERS, WIDTH, clustered, recall, run_json, write_vectors

WORK = os.environ.get("CLIP_BENCH_WORK", os.path.join(tempfile.gettempdir(), "clip-store-bench"))


def exact_top10(vectors, queries):
    best = np.full((len(queries), 10), -1, dtype=np.int64)
    scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    for start in range(0, len(vectors), 200_000):
        block = queries @ vectors[start:start + 200_000].T
        merged = np.concatenate([scores, block], axis=1)
        ids = np.concatenate([best, np.arange(start, start + block.shape[1])[None, :].repeat(len(queries), 0)], axis=1)
        order = np.argsort(-merged, axis=1)[:, :10]
        scores = np.take_along_axis(merged, order, 1)
        best = np.take_along_axis(ids, order, 1)
    return best


def psql(sql, url):
    binary = os.path.join(os.environ["CLIP_TEST_POSTGRES_BIN"], "psql")
    base, _, query = url.partition("?")
    schema = dict(part.split("=") for part in query.split("&"))["schema"]
    result = subprocess.run([binary, base, "-Atc", f"SET search_path TO {schema}, public; {sql}"], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
        return " ".join(f for f in ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"] if f in flags)
    except (OSError, StopIteration):
        return platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search-bench", required=True)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--exact-queries", type=int, default=20, help="queries for PostgreSQL's exact scans (each reads every row)")
    parser.add_argument("--efs", default="40,96")
    args = parser.parse_args()
    server = os.environ.get("CLIP_TEST_POSTGRES_URL")
    if not server:
        sys.exit("run beside a server: Scripts/with_postgres.sh python3 Benchmarks/postgres_store.py …")
    bench = os.path.abspath(args.search_bench)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((CLUSTERS, WIDTH), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = clustered(args.vectors, 1, centres)
    queries = clustered(args.queries, 2, centres)
    vector_file = os.path.join(WORK, "vectors.f32")
    query_file = os.path.join(WORK, "queries.f32")
    write_vectors(vector_file, vectors, "f32")
    queries.astype("<f4").tofile(query_file)
    exact_query_file = os.path.join(WORK, "exact-queries.f32")
    queries[:args.exact_queries].astype("<f4").tofile(exact_query_file)
    truth = exact_top10(vectors, queries)
    del vectors

    folder = os.path.join(WORK, "index")
    postgres = server + ("&" if "?" in server else "?") + f"sslmode=disable&schema=bench_{os.getpid()}"
    stores = [("folder", folder), ("postgresql", postgres)]
    print(f"Index stores, {args.vectors:,} clustered unit vectors of width {WIDTH}; CPU flags: {cpu_flags()}, {os.cpu_count()} cores")
    results = {}
    for name, location in stores:
        results[name, "fill"] = run_json([bench, "fill-store", location, vector_file])
    for name, location in stores:
        count = args.queries if name == "folder" else args.exact_queries
        source = query_file if name == "folder" else exact_query_file
        out = os.path.join(WORK, f"{name}-exact.i32")
        record = run_json([bench, "store-search", location, source, "10", "96", "exact", out])
        record["recall"] = recall(np.fromfile(out, dtype="<i4").reshape(-1, 10), truth[:count])
        results[name, "exact"] = record
    for name, location in stores:
        results[name, "build"] = run_json([bench, "build-ann", location, "hnsw", "32", "80"])
        for ef in [int(e) for e in args.efs.split(",")]:
            out = os.path.join(WORK, f"{name}-hnsw-{ef}.i32")
            record = run_json([bench, "store-search", location, query_file, "10", str(ef), "ann", out])
            record["recall"] = recall(np.fromfile(out, dtype="<i4").reshape(-1, 10), truth)
            results[name, "hnsw", ef] = record

    print(f"{'':34}{'folder':>14}{'PostgreSQL':>14}{'ratio':>9}")
    def row(label, key, field, fmt="{:14.1f}", invert=False):
        a, b = results["folder", *key][field], results["postgresql", *key][field]
        ratio = (a / b) if invert else (b / a)
        print(f"  {label:32}" + fmt.format(a) + fmt.format(b) + f"{ratio:9.2f}")
    row("ingest, vectors per s", ("fill",), "rows_per_s", "{:14,.0f}", invert=True)
    row("exact query, median ms", ("exact",), "ms_median", "{:14.2f}")
    print(f"  {'exact recall@10':32}{results['folder', 'exact']['recall']:14.3f}{results['postgresql', 'exact']['recall']:14.3f}")
    row("HNSW build, s", ("build",), "seconds", "{:14.1f}")
    for ef in [int(e) for e in args.efs.split(",")]:
        row(f"HNSW ef {ef}, median ms", ("hnsw", ef), "ms_median", "{:14.2f}")
        print(f"  {f'HNSW ef {ef}, recall@10':32}{results['folder', 'hnsw', ef]['recall']:14.3f}{results['postgresql', 'hnsw', ef]['recall']:14.3f}")
    table = int(psql("SELECT pg_total_relation_size('clip_vectors_1')", postgres))
    ann = int(psql("SELECT pg_relation_size('clip_vectors_1_ann')", postgres))
    files = int(psql("SELECT pg_total_relation_size('clip_file')", postgres))
    n = args.vectors
    print(f"  PostgreSQL bytes per vector: table {table / n:,.0f} (of which HNSW {ann / n:,.0f}), files {files / n:,.0f}")
    folder_bytes = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    print(f"  folder bytes per vector: {folder_bytes / n:,.0f} (catalogue, f32 vectors, graph)")
    print(json.dumps({f"{k[0]}:{':'.join(str(p) for p in k[1:])}": v for k, v in results.items()}, sort_keys=True))


if __name__ == "__main__":
    main()
