#!/usr/bin/env python3
"""Reference ids for long words, whose BPE merges swift-clip computes through a priority queue.

Writes Tests/CLIPTokenizerTests/Fixtures/long_words.json: texts made of single words of 65 to
4,000 letters (random letters, repeated syllables, runs of one letter, accented letters, a long
URL-like word) with `encode` from open_clip's SimpleTokenizer (untruncated), so that the queue is
checked against the reference's own merge loop, not only against our scanning loop.

open_clip's package __init__ imports torchvision; only its tokenizer module is needed, so it is
loaded without running the package's __init__.

    pip install --no-deps open_clip_torch && pip install ftfy regex
    python Scripts/make_long_word_golden.py
"""
import importlib.util
import json
import os
import random
import sys
import types

spec = importlib.util.find_spec("open_clip")
package = types.ModuleType("open_clip")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["open_clip"] = package
from open_clip.tokenizer import SimpleTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "..", "Tests", "CLIPTokenizerTests", "Fixtures", "long_words.json")
rng = random.Random(20261202)


def main():
    letters = "abcdefghijklmnopqrstuvwxyz"
    texts = []
    for length in [65, 66, 100, 257, 1000, 4000]:
        texts.append("".join(rng.choice(letters) for _ in range(length)))
    for syllable in ["ab", "aba", "cat", "photo", "ing", "ee"]:
        texts.append(syllable * (400 // len(syllable)))
    texts += ["a" * 65, "a" * 1001, "z" * 300, "é" * 200, "naïveté" * 30, "ß" * 80]
    texts.append("https://example.com/" + "".join(rng.choice(letters + "0123456789") for _ in range(300)))
    texts.append(" ".join(["".join(rng.choice(letters) for _ in range(rng.randint(60, 200))) for _ in range(5)]))
    tokenizer = SimpleTokenizer()
    rows = [{"text": text, "encode": tokenizer.encode(text)} for text in texts]
    with open(OUTPUT, "w") as f:
        json.dump(rows, f, ensure_ascii=False)
        f.write("\n")
    print(f"{len(rows)} texts, {sum(len(r['encode']) for r in rows)} ids -> {OUTPUT}")


if __name__ == "__main__":
    main()
