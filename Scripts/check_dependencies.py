#!/usr/bin/env python3
"""Checks that each target of Package.swift depends on exactly the modules its sources import: no
undeclared import, no unused dependency. Exits 1 with the differences otherwise. Run by .ci/run.

    python3 Scripts/check_dependencies.py
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SYSTEM = {"Foundation", "Dispatch", "Glibc", "Darwin", "Testing", "XCTest", "CryptoKit", "Accelerate", "PackageDescription"}


def targets(manifest):
    """(kind, name, dependencies, path) for every target, read from the manifest's text: each
    target's text runs from its `.target(name:` to the next one."""
    starts = list(re.finditer(r"^ {8}\.(target|executableTarget|testTarget|systemLibrary)\(\s*name: \"(\w+)\"", manifest, re.M))
    for index, match in enumerate(starts):
        kind, name = match.groups()
        body = manifest[match.end():starts[index + 1].start() if index + 1 < len(starts) else len(manifest)]
        block = re.search(r"dependencies: \[(.*?)\]\s*[,)]", body, re.S)
        dependencies = set()
        if block:
            text = re.sub(r"\.(target|product)\(name: \"(\w+)\"[^)]*\)", r'"\2"', block.group(1))
            dependencies = set(re.findall(r"\"(\w+)\"", text))
        path = re.search(r"path: \"([^\"]+)\"", body)
        folder = path.group(1) if path else ("Tests/" if kind == "testTarget" else "Sources/") + name
        yield kind, name, dependencies, folder


def imports(folder):
    found = set()
    for path in glob.glob(os.path.join(ROOT, folder, "**", "*.swift"), recursive=True):
        for line in open(path, encoding="utf-8"):
            match = re.match(r"\s*(?:@testable\s+)?import\s+(\w+)", line)
            if match and match.group(1) not in SYSTEM:
                found.add(match.group(1))
    return found


def main():
    manifest = open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()
    problems = []
    checked = 0
    for kind, name, declared, folder in targets(manifest):
        if kind == "systemLibrary" or not os.path.isdir(os.path.join(ROOT, folder)):
            continue
        used = imports(folder)
        if not glob.glob(os.path.join(ROOT, folder, "**", "*.swift"), recursive=True):
            continue   # a C target
        checked += 1
        for module in sorted(used - declared):
            problems.append(f"{name}: imports {module} without declaring it")
        for module in sorted(declared - used):
            problems.append(f"{name}: declares {module} but never imports it")
    for line in problems:
        print(line)
    print(f"{checked} Swift targets checked, {len(problems)} dependency differences")
    sys.exit(1 if problems or checked == 0 else 0)


if __name__ == "__main__":
    main()
