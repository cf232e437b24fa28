#!/usr/bin/env python3
"""HEIF (HEIC) and AVIF fixtures and the pixels Pillow gives for them, for CLIPImage's decoder.

Pillow opens AVIF itself (libavif) and HEIC through pillow-heif (libheif with libde265). This script
encodes small images from the committed fixtures into Tests/CLIPImageTests/Fixtures/images/:
  - photo.heic: odd_97x61.png as HEIC ("RGB");
  - photo.avif: odd_97x61.png as AVIF ("RGB");
  - alpha.avif: rgba_gradient.png scaled down, as AVIF with alpha ("RGBA");
  - rotated.heic: photo.heic's picture turned 90° and saved with an EXIF orientation of 6, which
    pillow-heif writes as a HEIF rotation (irot) that libheif applies when decoding: it opens upright;
and records mode, size and the decoded pixels (base64 of `np.asarray(image)`) in
Tests/CLIPImageTests/Fixtures/heif_expectations.json. The pixels are kept, not only a digest: the
YUV → RGB step differs by a unit here and there between libheif and libavif versions, so the test
compares with a tolerance.

    pip install pillow pillow-heif numpy
    python Scripts/make_heif_fixtures.py
"""
import base64
import json
import os

import numpy as np
import pillow_heif
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures")
IMAGES = os.path.join(FIXTURES, "images")

pillow_heif.register_heif_opener()


def record(name):
    image = Image.open(os.path.join(IMAGES, name))
    pixels = np.asarray(image)
    return {"name": name, "mode": image.mode, "width": image.width, "height": image.height,
            "pixels": base64.b64encode(np.ascontiguousarray(pixels).tobytes()).decode()}


def main():
    photo = Image.open(os.path.join(IMAGES, "odd_97x61.png")).convert("RGB")
    photo.save(os.path.join(IMAGES, "photo.heic"), quality=90)
    photo.save(os.path.join(IMAGES, "photo.avif"), quality=90)
    alpha = Image.open(os.path.join(IMAGES, "rgba_gradient.png")).convert("RGBA")
    alpha = alpha.resize((alpha.width // 2, alpha.height // 2))
    alpha.save(os.path.join(IMAGES, "alpha.avif"), quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.transpose(Image.Transpose.ROTATE_90).save(os.path.join(IMAGES, "rotated.heic"), quality=90, exif=exif.tobytes())
    expectations = [record(name) for name in ["photo.heic", "photo.avif", "alpha.avif", "rotated.heic"]]
    with open(os.path.join(FIXTURES, "heif_expectations.json"), "w") as f:
        json.dump({"images": expectations}, f, indent=1)
        f.write("\n")
    for item in expectations:
        size = os.path.getsize(os.path.join(IMAGES, item["name"]))
        print(f"{item['name']}: {item['mode']} {item['width']}x{item['height']}, {size} bytes")


if __name__ == "__main__":
    main()
