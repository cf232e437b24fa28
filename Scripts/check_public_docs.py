#!/usr/bin/env python3
"""Lists the public declarations of the library products that lack a `///` comment; exits 1 if any.

Run by .ci/run. The `clip` executable (CLIPCommand) and the test support are not library API. A member
that implements a requirement of a protocol of its own target, in a type that declares conformance to
it, is documented by the protocol.

    python3 Scripts/check_public_docs.py
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DECLARATION = re.compile(r"^(@\w+(\([^)]*\))?\s+)*(public|open)\s")


TYPE = re.compile(r"^(?:public |open |final |@\w+ )*(?:class|struct|enum|actor|extension|protocol)\s+([\w.]+)\s*(?::\s*([^{]+))?")
MEMBER = re.compile(r"\b(?:func|var|let|subscript|init)\s*([\w]+)?")


def conformances(paths):
    """(protocol requirement names by protocol, protocols by type) of one target's files."""
    requirements, conforming = {}, {}
    for path in paths:
        current = None
        for line in open(path, encoding="utf-8").read().split("\n"):
            header = TYPE.match(line)
            if header:
                kind = line.split(header.group(1))[0]
                current = header.group(1) if "protocol" in kind else None
                for name in re.split(r"[,\s]+", header.group(2) or ""):
                    if name:
                        conforming.setdefault(header.group(1), set()).add(name.strip("@"))
                continue
            member = MEMBER.search(line) if current and line.startswith("    ") and not line.startswith("        ") else None
            if member and member.group(1):
                requirements.setdefault(current, set()).add(member.group(1))
    return requirements, conforming


def undocumented(path, requirements, conforming):
    lines = open(path, encoding="utf-8").read().split("\n")
    owner = None
    for number, line in enumerate(lines, 1):
        header = TYPE.match(line)
        if header:
            owner = header.group(1)
        text = line.strip()
        if not DECLARATION.match(text) or re.search(r"\bextension\b", text.split("{")[0]):
            continue
        member = MEMBER.search(text)
        witnessed = set().union(*(requirements.get(p, set()) for p in conforming.get(owner, set()))) if owner else set()
        if member and member.group(1) in witnessed:
            continue
        above = number - 2
        while above >= 0 and lines[above].strip().startswith("@"):
            above -= 1
        if above < 0 or not lines[above].strip().startswith("///"):
            yield number, text


def main():
    missing = []
    for target in sorted(glob.glob(os.path.join(ROOT, "Sources", "CLIP*"))):
        if target.endswith(("/CLIPCommand", "/CLIPTestSupport")):
            continue
        paths = sorted(glob.glob(os.path.join(target, "**", "*.swift"), recursive=True))
        requirements, conforming = conformances(paths)
        for path in paths:
            for number, text in undocumented(path, requirements, conforming):
                missing.append(f"{os.path.relpath(path, ROOT)}:{number}: {text[:100]}")
    for line in missing:
        print(line)
    print(f"{len(missing)} public declarations without a /// comment")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
