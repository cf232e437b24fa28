#!/usr/bin/env python3
"""Decode + preprocess of a 1024×768 JPEG to 224×224, CLIPImage beside Pillow + torchvision
(open_clip's inference transform), single thread each, alternating rounds (`make bench`).

    CLIP_REFERENCE_DATA=../shared/reference python3 Benchmarks/image.py --binary .build/release/clip-kernel-bench
"""
import argparse
import json
import os
import subprocess
import tempfile
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import torch
    from PIL import Image
    import open_clip
    torch.set_num_threads(1)
    reference = os.environ.get("CLIP_REFERENCE_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference"))
    photo = Image.open(os.path.join(reference, "images", "coffee.png")).convert("RGB").resize((1024, 768), Image.BICUBIC)
    path = os.path.join(tempfile.mkdtemp(), "photo_1024x768.jpg")
    photo.save(path, quality=90)
    transform = open_clip.image_transform(224, is_train=False)

    def python_side():
        with Image.open(path) as img:
            transform(img)

    env = dict(os.environ, CLIP_NUM_THREADS="1", BENCH_ROUNDS="1", BENCH_SECONDS="0.5")
    ours, theirs, decode = float("inf"), float("inf"), float("inf")
    for _ in range(args.rounds):
        time.sleep(0.3)
        record = json.loads(subprocess.run([args.binary, "preprocess", path], env=env, check=True,
                                           capture_output=True, text=True).stdout)
        ours, decode = min(ours, record["ms_best"]), min(decode, record["decode_ms_best"])
        time.sleep(0.3)
        python_side()
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < 0.5:
            python_side()
            calls += 1
        theirs = min(theirs, (time.perf_counter() - start) / calls * 1e3)
    print("image preprocessing, ms per image (1 thread)   swift-clip   Pillow+torchvision   speed-up")
    print(f"1024x768 JPEG -> 224x224 float tensor         {ours:10.2f} {theirs:20.2f} {theirs / ours:10.2f}")
    print(f"  (of which JPEG decode in swift-clip: {decode:.2f} ms)")


if __name__ == "__main__":
    main()
