#!/usr/bin/env python3
"""Lists the public declarations of the library products that lack a `///` comment; exits 1 if any.

Run by .ci/run. The `clip` executable (CLIPCommand) and the test support are not library API.

    python3 Scripts/check_public_docs.py
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DECLARATION = re.compile(r"^(@\w+(\([^)]*\))?\s+)*(public|open)\s")


def undocumented(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not DECLARATION.match(text) or re.search(r"\bextension\b", text.split("{")[0]):
            continue
        above = number - 2
        while above >= 0 and lines[above].strip().startswith("@"):
            above -= 1
        if above < 0 or not lines[above].strip().startswith("///"):
            yield number, text


def main():
    missing = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources", "CLIP*", "**", "*.swift"), recursive=True)):
        if "/CLIPCommand/" in path or "/CLIPTestSupport/" in path:
            continue
        for number, text in undocumented(path):
            missing.append(f"{os.path.relpath(path, ROOT)}:{number}: {text[:100]}")
    for line in missing:
        print(line)
    print(f"{len(missing)} public declarations without a /// comment")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
