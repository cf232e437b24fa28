#!/usr/bin/env python3
"""Zero-shot classification and retrieval references on the shared digits dataset, for
CLIPEvaluationTests.

A tiny random open_clip model (real 49,408-token vocabulary, so the bundled tokenizer applies; float16
weights to stay small; the reference runs on the float16-rounded weights in float32) is saved as an
open_clip directory. With it, open_clip computes:
  - zero-shot classifier weights with `open_clip.build_zero_shot_classifier` for the digits class names
    (classes.txt) and two template sets: the reference 80 templates (../shared/reference/prompts) and
    the single "a photo of a {}.";
  - image features of test.tsv's 360 images through open_clip's own preprocessing, per-image logits
    (100 · image · classifier, as open_clip's zero-shot evaluation), and the metrics as CLIP_benchmark
    computes them (torch.topk accuracy, scikit-learn balanced_accuracy_score), averaged in float64 so
    that they are exact fractions;
  - for train.tsv (1,437 images with captions): image and caption features and recall@1/5/10 both
    ways, CLIP_benchmark's `recall_at_k` computation.

    pip install open_clip_torch safetensors scikit-learn
    python Scripts/make_zeroshot_fixtures.py [--reference ../shared/reference]
"""
import argparse
import csv
import json
import os
import shutil

import torch
from PIL import Image
from safetensors.torch import save_file
from sklearn.metrics import balanced_accuracy_score

import open_clip
from open_clip.model import CLIP

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "CLIPEvaluationTests", "Fixtures")
CONFIG = {"embed_dim": 16, "quick_gelu": False,
          "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
          "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 8, "heads": 2, "layers": 1}}


def tiny_model():
    generator = torch.Generator().manual_seed(606)
    model = CLIP(**CONFIG).eval()
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name == "logit_scale":
                tensor.fill_(2.659260036932778)
            elif tensor.is_floating_point():
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.2)
        for name, tensor in model.state_dict().items():   # the reference runs on float16-rounded weights
            tensor.copy_(tensor.half().float())
    return model


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def image_features(model, preprocess, folder, paths):
    batch = torch.stack([preprocess(Image.open(os.path.join(folder, p))) for p in paths])
    with torch.no_grad():
        return model.encode_image(batch)


def recall_at_k(scores, positive_pairs, k):
    """CLIP_benchmark: for each query, the fraction of its positives among the top k candidates."""
    nb_texts, nb_images = scores.shape
    topk_indices = torch.topk(scores, k, dim=1)[1]
    nb_positive = positive_pairs.sum(dim=1)
    topk_indices_onehot = torch.nn.functional.one_hot(topk_indices, num_classes=nb_images)
    positive_pairs_reshaped = positive_pairs.view(nb_texts, 1, nb_images)
    nb_true_positive = (topk_indices_onehot * positive_pairs_reshaped).sum(dim=(1, 2))
    return nb_true_positive / nb_positive


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", default=os.path.join(HERE, "..", "..", "shared", "reference"))
    args = parser.parse_args()
    digits = os.path.join(args.reference, "datasets", "digits")
    templates80 = json.load(open(os.path.join(args.reference, "prompts", "openai_imagenet_templates.json")))["templates"]
    classes = [line.strip() for line in open(os.path.join(digits, "classes.txt")) if line.strip()]

    shutil.rmtree(OUT, ignore_errors=True)
    model_dir = os.path.join(OUT, "tiny_open_clip")
    os.makedirs(model_dir)
    model = tiny_model()
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()},
              os.path.join(model_dir, "open_clip_model.safetensors"))
    with open(os.path.join(model_dir, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": CONFIG, "preprocess_cfg": {"mean": list(open_clip.OPENAI_DATASET_MEAN),
                                                           "std": list(open_clip.OPENAI_DATASET_STD)}}, f, indent=2)
    preprocess = open_clip.image_transform(32, is_train=False)
    tokenizer = open_clip.get_tokenizer("ViT-B-32", context_length=32)
    expected = {}
    metrics = {}

    test = read_tsv(os.path.join(digits, "test.tsv"))
    targets = torch.tensor([classes.index(row["label"]) for row in test])
    features = torch.nn.functional.normalize(image_features(model, preprocess, digits, [r["filepath"] for r in test]), dim=-1)
    expected["zeroshot/image_features"] = features
    for name, templates in [("openai80", templates80), ("simple", ["a photo of a {}."])]:
        with torch.no_grad():
            classifier = open_clip.build_zero_shot_classifier(model, tokenizer, classes, templates, num_classes_per_batch=10,
                                                              device="cpu", use_tqdm=False)
        logits = 100.0 * features @ classifier
        expected[f"zeroshot/{name}/classifier"] = classifier.T.contiguous()
        expected[f"zeroshot/{name}/logits"] = logits
        top5 = logits.topk(5, dim=1)[1]
        metrics[name] = {
            "acc1": (top5[:, :1] == targets[:, None]).any(dim=1).double().mean().item(),
            "acc5": (top5 == targets[:, None]).any(dim=1).double().mean().item(),
            "mean_per_class_recall": float(balanced_accuracy_score(targets.numpy(), logits.argmax(dim=1).numpy())),
        }

    train = read_tsv(os.path.join(digits, "train.tsv"))
    images = torch.nn.functional.normalize(image_features(model, preprocess, digits, [r["filepath"] for r in train]), dim=-1)
    with torch.no_grad():
        texts = torch.nn.functional.normalize(model.encode_text(tokenizer([r["title"] for r in train])), dim=-1)
    expected["retrieval/image_features"] = images
    expected["retrieval/text_features"] = texts
    scores = texts @ images.T
    positive_pairs = torch.eye(len(train), dtype=torch.long)   # one caption per image, in file order
    retrieval = {}
    for k in (1, 5, 10):
        retrieval[f"image_retrieval_recall@{k}"] = (recall_at_k(scores, positive_pairs, k) > 0).double().mean().item()
        retrieval[f"text_retrieval_recall@{k}"] = (recall_at_k(scores.T, positive_pairs.T, k) > 0).double().mean().item()
    metrics["retrieval"] = retrieval

    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(OUT, "expected.safetensors"))
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    print(json.dumps(metrics, indent=2, sort_keys=True))
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(OUT) for f in files)
    print(f"fixtures: {total // 1024} KB")


if __name__ == "__main__":
    main()
