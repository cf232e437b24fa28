#!/usr/bin/env python3
"""CLIPTokenizer beside open_clip's tokenizer, single thread, in one run (`make bench`).

Both tokenize the same 2,000 short captions to [N, 77] ids, with their BPE caches warm; rounds of the
two alternate and the best of each is compared.

    python3 Benchmarks/tokenizer.py --binary .build/release/clip-kernel-bench
"""
import argparse
import os
import random
import subprocess
import json
import tempfile
import time


def captions(n=2000):
    rng = random.Random(7)
    nouns = ["dog", "cat", "car", "tree", "house", "bicycle", "woman", "man", "child", "horse", "bird", "boat",
             "mountain", "beach", "city street", "pizza", "guitar", "laptop", "coffee cup", "train"]
    adjectives = ["red", "small", "large", "happy", "old", "shiny", "blurry", "dark", "wooden", "fluffy", "snowy"]
    templates = ["a photo of a {a} {n}.", "a {a} {n} next to a {n2}", "itap of the {n}", "a close-up of a {a} {n}",
                 "the {n} and the {n2} in the snow", "an {a} painting of a {n}"]
    return [rng.choice(templates).format(a=rng.choice(adjectives), n=rng.choice(nouns), n2=rng.choice(nouns))
            for _ in range(n)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import torch
    from open_clip.tokenizer import SimpleTokenizer
    torch.set_num_threads(1)
    texts = captions()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(texts) + "\n")
        path = f.name
    tokenizer = SimpleTokenizer()
    tokenizer(texts)
    ours_best, theirs_best = 0.0, 0.0
    env = dict(os.environ, CLIP_NUM_THREADS="1", BENCH_ROUNDS="1", BENCH_SECONDS="0.5")
    for _ in range(args.rounds):
        out = subprocess.run([args.binary, "tokenize", path], env=env, check=True, capture_output=True, text=True).stdout
        ours_best = max(ours_best, json.loads(out)["captions_per_second_best"])
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < 0.5:
            tokenizer(texts)
            calls += 1
        theirs_best = max(theirs_best, len(texts) * calls / (time.perf_counter() - start))
    os.unlink(path)
    print("tokenizer, captions/s (1 thread)   swift-clip   open_clip   swift/open_clip")
    print(f"{len(texts)} short captions          {ours_best:12.0f} {theirs_best:11.0f} {ours_best / theirs_best:17.2f}")


if __name__ == "__main__":
    main()
