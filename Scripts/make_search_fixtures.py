#!/usr/bin/env python3
"""Brute-force search references for CLIPSearch, from numpy.

Writes Tests/CLIPSearchTests/Fixtures/exact_search.json: 300 unit vectors of width 24 drawn around 12
cluster centres on the sphere (real embeddings cluster), 6 unit queries, and for each query the
top 10 rows by dot product (vectors and queries as base64 little-endian float32), computed in float64 over the vectors as stored in float32 and as
rounded to float16, with and without a score threshold and an even-rows-only filter.

    pip install numpy
    python Scripts/make_search_fixtures.py
"""
import base64
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "..", "Tests", "CLIPSearchTests", "Fixtures", "exact_search.json")


def unit(rows):
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def top(vectors, query, k, threshold=None, even_only=False):
    scores = vectors.astype(np.float64) @ query.astype(np.float64)
    order = sorted(range(len(scores)), key=lambda row: (-scores[row], row))
    hits = []
    for row in order:
        if threshold is not None and scores[row] < threshold:
            continue
        if even_only and row % 2:
            continue
        hits.append({"row": row, "score": float(scores[row])})
        if len(hits) == k:
            break
    return hits


def main():
    rng = np.random.default_rng(20261202)
    centres = unit(rng.normal(size=(12, 24)))
    vectors = unit(centres[rng.integers(0, 12, size=300)] + 0.35 * rng.normal(size=(300, 24))).astype(np.float32)
    queries = unit(centres[:6] + 0.2 * rng.normal(size=(6, 24))).astype(np.float32)
    cases = []
    for element, stored in (("f32", vectors), ("f16", vectors.astype(np.float16).astype(np.float32))):
        for index, query in enumerate(queries):
            cases.append({"element": element, "query": index, "k": 10, "hits": top(stored, query, 10)})
            cases.append({"element": element, "query": index, "k": 10, "threshold": 0.8, "hits": top(stored, query, 10, 0.8)})
            cases.append({"element": element, "query": index, "k": 5, "even_only": True, "hits": top(stored, query, 5, even_only=True)})
    with open(OUTPUT, "w") as f:
        json.dump({"width": 24, "vectors": base64.b64encode(vectors.astype("<f4").tobytes()).decode(),
                   "queries": base64.b64encode(queries.astype("<f4").tobytes()).decode(), "cases": cases}, f)
        f.write("\n")
    print(f"{len(cases)} cases -> {OUTPUT}")


if __name__ == "__main__":
    main()
