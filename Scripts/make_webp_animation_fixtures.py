#!/usr/bin/env python3
"""Animated WebP fixtures and Pillow's first frames, for CLIPImage's decoder.

Pillow opens an animated WebP at its first frame, composed on the canvas by libwebp's animation
decoder. This script writes small animations into Tests/CLIPImageTests/Fixtures/images/:
  - animated.webp: two lossless frames, no alpha ("RGB");
  - animated_alpha.webp: two lossy frames with alpha ("RGBA");
  - animated_offset.webp: animated.webp rewritten so the canvas (52 x 40) is larger than the first
    frame (40 x 30), which sits at (4, 6): the rest of the canvas is Pillow's empty background;
and records mode, size and the SHA-256 of `np.asarray(Image.open(path))` in
Tests/CLIPImageTests/Fixtures/webp_animation_expectations.json.

    pip install pillow numpy
    python Scripts/make_webp_animation_fixtures.py
"""
import hashlib
import json
import os
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures")
IMAGES = os.path.join(FIXTURES, "images")


def chunks(data):
    """The RIFF chunks of a WebP file as (fourcc, payload) pairs."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    position, out = 12, []
    while position + 8 <= len(data):
        fourcc, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        out.append((fourcc, bytearray(data[position + 8:position + 8 + size])))
        position += 8 + size + (size & 1)
    return out


def riff(parts):
    body = b"WEBP"
    for fourcc, payload in parts:
        body += fourcc + struct.pack("<I", len(payload)) + bytes(payload) + (b"\0" if len(payload) & 1 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def u24(value):
    return struct.pack("<I", value)[:3]


def with_larger_canvas(data, width, height, x, y):
    """The animation with its canvas resized and every frame moved to (x, y) (even offsets)."""
    parts = chunks(data)
    for fourcc, payload in parts:
        if fourcc == b"VP8X":
            payload[4:10] = u24(width - 1) + u24(height - 1)
        elif fourcc == b"ANMF":
            payload[0:6] = u24(x // 2) + u24(y // 2)
    return riff(parts)


def main():
    os.makedirs(IMAGES, exist_ok=True)
    ramp = np.linspace(0, 255, 40, dtype=np.uint8)
    first = np.stack([np.tile(ramp, (30, 1)), np.full((30, 40), 90, np.uint8),
                      np.tile(ramp[:30, None], (1, 40))], axis=2)
    second = 255 - first
    frame1, frame2 = Image.fromarray(first, "RGB"), Image.fromarray(second, "RGB")

    files = {}
    path = os.path.join(IMAGES, "animated.webp")
    frame1.save(path, save_all=True, append_images=[frame2], duration=100, loop=0, lossless=True)
    files["animated.webp"] = path

    alpha = frame1.convert("RGBA")
    alpha.putalpha(Image.fromarray(np.tile(ramp[::-1], (30, 1)), "L"))
    path = os.path.join(IMAGES, "animated_alpha.webp")
    alpha.save(path, save_all=True, append_images=[frame2.convert("RGBA")], duration=100, quality=80)
    files["animated_alpha.webp"] = path

    with open(files["animated.webp"], "rb") as f:
        moved = with_larger_canvas(f.read(), 52, 40, 4, 6)
    path = os.path.join(IMAGES, "animated_offset.webp")
    with open(path, "wb") as f:
        f.write(moved)
    files["animated_offset.webp"] = path

    entries = []
    for name, path in files.items():
        image = Image.open(path)
        assert image.n_frames == 2, name
        pixels = np.asarray(image)
        entries.append({"file": name, "mode": image.mode, "width": image.width, "height": image.height,
                        "frames": image.n_frames,
                        "decoded_sha256": hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()})
    with open(os.path.join(FIXTURES, "webp_animation_expectations.json"), "w") as f:
        json.dump({"images": entries}, f, indent=1)
        f.write("\n")
    for entry in entries:
        print(entry)


if __name__ == "__main__":
    main()
