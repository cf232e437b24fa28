#!/usr/bin/env python3
"""Reference pixels for CLIPImage from Pillow, torchvision and open_clip.

1. Makes small variant images in Tests/CLIPImageTests/Fixtures/images/ from the shared reference
   photos: odd, tiny and extreme sizes, every PNG colour type and bit depth, interlaced PNG (pypng),
   CMYK JPEG, WebP lossy/lossless/alpha.
2. For every shared reference image and every variant, records in
   Tests/CLIPImageTests/Fixtures/image_expectations.json:
   - the decoded mode, size and SHA-256 of `np.asarray(Image.open(path))` (and of its RGB conversion);
   - for output sizes 64, 224 and 336, the SHA-256 of the uint8 RGB pixels after open_clip's
     inference transform up to the tensor (Resize bicubic, CenterCrop, convert RGB), and samples of
     the normalised float tensor;
   - bilinear and nearest variants for a few images, and RandomResizedCrop boxes.

    pip install open_clip_torch pillow pypng numpy
    CLIP_REFERENCE_DATA=../shared/reference python Scripts/make_image_fixtures.py
"""
import hashlib
import json
import os

import numpy as np
import png  # pypng, for interlaced PNG
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode, Resize, CenterCrop

import open_clip

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures")
VARIANTS = os.path.join(FIXTURES, "images")
REFERENCE = os.environ.get("CLIP_REFERENCE_DATA", os.path.join(HERE, "..", "..", "shared", "reference"))
SIZES = [64, 224, 336]


def sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def raw_array(img):
    a = np.asarray(img)
    if img.mode == "1":
        a = a.astype(np.uint8) * 255
    if img.mode == "I;16":
        a = a.astype("<u2")
    return a


def make_variants():
    os.makedirs(VARIANTS, exist_ok=True)
    src = Image.open(os.path.join(REFERENCE, "images", "chelsea.png")).convert("RGB")
    grey = src.convert("L")
    out = {}

    def save(name, img, **kw):
        path = os.path.join(VARIANTS, name)
        img.save(path, **kw)
        out[name] = path

    save("odd_97x61.png", src.resize((97, 61), Image.BICUBIC))
    save("odd_333x171.jpg", src.resize((333, 171), Image.BICUBIC), quality=85)
    save("tiny_2x3.png", src.resize((2, 3), Image.BICUBIC))
    save("tiny_5x7.jpg", src.resize((5, 7), Image.BICUBIC), quality=90)
    save("tall_3x500.png", src.resize((3, 500), Image.BICUBIC))
    save("wide_500x3.png", src.resize((500, 3), Image.BICUBIC))
    save("tall_20x1000.jpg", src.resize((20, 1000), Image.BICUBIC), quality=80)
    save("square_224.jpg", src.resize((224, 224), Image.BICUBIC), quality=90)
    save("square_336.jpg", src.resize((336, 336), Image.BICUBIC), quality=85)
    small = src.resize((120, 80), Image.BICUBIC)
    rgba = small.convert("RGBA")
    alpha = Image.linear_gradient("L").resize((120, 80))
    alpha.paste(0, (0, 0, 30, 80))
    rgba.putalpha(alpha)
    save("rgba_gradient.png", rgba)
    la = small.convert("LA")
    la.putalpha(alpha)
    save("la_gradient.png", la)
    save("bilevel_1bit.png", small.convert("1"))
    save("grey_2bit.png", small.convert("L").quantize(4).convert("L"), bits=2)
    save("palette_4bit.png", small.quantize(16), bits=4)
    pal = small.quantize(64)
    save("palette_transparent.png", pal, transparency=list(range(0, 64, 3)) and bytes([0, 128] + [255] * 62))
    save("cmyk.jpg", small.convert("CMYK"), quality=90)
    save("lossy.webp", small, quality=80)
    save("lossless.webp", small, lossless=True)
    save("alpha.webp", rgba, quality=80)
    save("grey_odd_45x77.png", grey.resize((45, 77), Image.BICUBIC))

    # 16-bit PNGs and interlacing through pypng (Pillow writes neither 16-bit RGB nor Adam7).
    arr = np.asarray(small).astype(np.uint16) * 257 + np.arange(120, dtype=np.uint16)[None, :, None]
    a16 = (np.asarray(alpha).astype(np.uint16) * 257)
    def write_png(name, rows, width, height, **kw):
        path = os.path.join(VARIANTS, name)
        with open(path, "wb") as f:
            png.Writer(width, height, **kw).write(f, rows)
        out[name] = path
    write_png("rgb_16bit.png", arr.reshape(80, -1).tolist(), 120, 80, greyscale=False, bitdepth=16)
    rgba16 = np.concatenate([arr, a16[:, :, None]], axis=2)
    write_png("rgba_16bit.png", rgba16.reshape(80, -1).tolist(), 120, 80, greyscale=False, alpha=True, bitdepth=16)
    g16 = (np.asarray(small.convert("L")).astype(np.uint16) * 3)  # values up to 765: some above 255
    la16 = np.stack([g16 * 60, a16], axis=2)
    write_png("la_16bit.png", la16.reshape(80, -1).tolist(), 120, 80, greyscale=True, alpha=True, bitdepth=16)
    write_png("grey_16bit_small_values.png", g16.tolist(), 120, 80, greyscale=True, bitdepth=16)
    write_png("rgb_interlaced.png", np.asarray(small).reshape(80, -1).tolist(), 120, 80, greyscale=False, interlace=True)
    write_png("grey_4bit_interlaced.png", (np.asarray(small.convert("L")) >> 4).tolist(), 120, 80, greyscale=True,
              bitdepth=4, interlace=True)
    return out


def describe(path, label):
    img = Image.open(path)
    img.load()
    entry = {"file": label, "mode": img.mode, "width": img.width, "height": img.height,
             "decoded_sha256": sha(raw_array(img)), "decoded_rgb_sha256": sha(np.asarray(img.convert("RGB"))),
             "sizes": {}}
    for size in SIZES:
        transform = open_clip.image_transform(size, is_train=False)
        pil_steps, tensor_steps = transform.transforms[:3], transform.transforms[3:]
        rgb = img
        for step in pil_steps:
            rgb = step(rgb)
        tensor = img
        for step in transform.transforms:
            tensor = step(tensor)
        flat = tensor.numpy().astype(np.float64).ravel()
        positions = np.linspace(0, flat.size - 1, 16).astype(int).tolist()
        entry["sizes"][str(size)] = {"rgb_sha256": sha(np.asarray(rgb)),
                                     "positions": positions,
                                     "values": [float(tensor.numpy().ravel()[p]) for p in positions],
                                     "sum": float(flat.sum())}
    return img, entry


def main():
    variants = make_variants()
    entries = []
    reference_images = sorted(os.listdir(os.path.join(REFERENCE, "images")))
    opened = {}
    for name in reference_images:
        img, entry = describe(os.path.join(REFERENCE, "images", name), "reference:" + name)
        entries.append(entry)
        opened["reference:" + name] = img
    for name in sorted(variants):
        img, entry = describe(variants[name], "fixture:" + name)
        entries.append(entry)
        opened["fixture:" + name] = img

    filters = []
    for label in ["reference:chelsea.png", "reference:camera.png", "fixture:rgba_gradient.png", "fixture:palette_4bit.png",
                  "fixture:grey_16bit_small_values.png", "fixture:cmyk.jpg"]:
        img = opened[label]
        for name, mode in [("bilinear", InterpolationMode.BILINEAR), ("nearest", InterpolationMode.NEAREST)]:
            out = CenterCrop(96)(Resize(96, interpolation=mode)(img)).convert("RGB")
            filters.append({"file": label, "filter": name, "size": 96, "rgb_sha256": sha(np.asarray(out))})

    crops = []
    for label in ["reference:chelsea.png", "reference:astronaut.png", "fixture:rgba_gradient.png", "fixture:la_16bit.png"]:
        img = opened[label]
        w, h = img.size
        for (top, left, ch, cw) in [(0, 0, h, w), (h // 7, w // 5, h * 9 // 10, w * 4 // 5), (1, 3, h - 5, w - 7)]:
            out = TF.resized_crop(img, top, left, ch, cw, [128, 128], interpolation=InterpolationMode.BICUBIC).convert("RGB")
            crops.append({"file": label, "box": [top, left, ch, cw], "size": 128, "rgb_sha256": sha(np.asarray(out))})

    with open(os.path.join(FIXTURES, "image_expectations.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "torch": torch.__version__, "open_clip": open_clip.__version__,
                   "mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD),
                   "images": entries, "filters": filters, "crops": crops}, f, indent=1)
    total = sum(os.path.getsize(p) for p in variants.values())
    print(f"{len(entries)} images ({len(variants)} variants, {total // 1024} KB), {len(filters)} filter cases, {len(crops)} crops")


if __name__ == "__main__":
    main()
