#!/usr/bin/env python3
"""Exports the data behind ftfy's `fix_text` and Python's `html.unescape` for CLIPTokenizer.

CLIPTokenizer cleans text as open_clip does (ftfy.fix_text, html.unescape twice). The logic is written
in Swift; this script writes the tables that logic reads, taken from the installed ftfy and Python so
they cannot drift by hand-copying:

- the single-byte codecs ftfy tries (latin-1, its "sloppy" Windows codecs, iso-8859-2, macroman,
  cp437): byte -> code point;
- ftfy's mojibake heuristic (`badness.BADNESS_RE`) as a list of alternatives, each a sequence of
  character sets, parsed with Python's own regex parser;
- the UTF-8 clue classes behind `UTF8_DETECTOR_RE`;
- ftfy's HTML entity table (with its upper-case variants), Latin ligatures, the width map;
- Python's HTML5 entity table and the invalid character-reference tables of `html.unescape`;
- Python's `\\s` and `\\w` as used by `re` patterns.

    pip install ftfy==6.3.1
    python Scripts/make_ftfy_tables.py
"""
import html
import html.entities
import json
import os
import re
import sys

try:
    import re._parser as sre_parse  # Python >= 3.11
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

import ftfy
from ftfy import badness, chardata

OUT = os.path.join(os.path.dirname(__file__), "..", "Sources", "CLIPTokenizer", "Resources", "ftfy_tables.json")
MAX_CODE_POINT = 0x10FFFF


def ranges_of(predicate, limit=MAX_CODE_POINT):
    """Sorted [lo, hi] ranges of the code points for which predicate holds (surrogates skipped)."""
    out = []
    start = None
    for cp in range(limit + 1):
        ok = not (0xD800 <= cp <= 0xDFFF) and predicate(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append([start, cp - 1])
            start = None
    if start is not None:
        out.append([start, limit])
    return out


def class_ranges(items):
    """Ranges of an sre IN item list (without NEGATE), resolving literals, ranges and categories."""
    members = set()
    categories = []
    for op, av in items:
        if op == sre_constants.LITERAL:
            members.add(av)
        elif op == sre_constants.RANGE:
            members.update(range(av[0], av[1] + 1))
        elif op == sre_constants.CATEGORY:
            categories.append(str(av))
        elif op == sre_constants.NEGATE:
            continue
        else:
            raise ValueError(f"unexpected class item {op}")
    rs = []
    for cp in sorted(members):
        if rs and rs[-1][1] == cp - 1:
            rs[-1][1] = cp
        else:
            rs.append([cp, cp])
    return rs, categories


def export_pattern_item(op, av):
    if op == sre_constants.LITERAL:
        return {"set": [[av, av]]}
    if op == sre_constants.IN:
        negate = any(o == sre_constants.NEGATE for o, _ in av)
        rs, categories = class_ranges(av)
        item = {"set": rs}
        if negate:
            item["negate"] = True
        if categories:
            item["categories"] = categories
        return item
    if op == sre_constants.ANY:
        return {"any": True}
    if op == sre_constants.AT and av == sre_constants.AT_BEGINNING:
        return {"start": True}
    if op == sre_constants.CATEGORY:
        return {"categories": [str(av)], "set": []}
    if op == sre_constants.MAX_REPEAT:
        lo, hi, sub = av
        if len(sub) != 1:
            raise ValueError("repeat of a sequence")
        item = export_pattern_item(*sub[0])
        item["min"], item["max"] = lo, hi
        return item
    raise ValueError(f"unexpected pattern item {op} {av}")


def badness_alternatives():
    parsed = sre_parse.parse(badness.BADNESS_RE.pattern, badness.BADNESS_RE.flags)
    assert len(parsed) == 1 and parsed[0][0] == sre_constants.BRANCH
    _, branches = parsed[0][1]
    alternatives = []
    for branch in branches:
        sequence = []
        for op, av in branch:
            # The IN items of a category-only class like [\s] come through as IN with CATEGORY.
            sequence.append(export_pattern_item(op, av))
        alternatives.append(sequence)
    return alternatives


def clue_ranges(chars):
    pattern = re.compile("[" + chars + "]")
    return ranges_of(lambda cp: bool(pattern.match(chr(cp))), 0xFFFF)


def main():
    charmaps = {}
    for encoding in chardata.CHARMAP_ENCODINGS:
        table = []
        for byte in range(256):
            try:
                table.append(ord(bytes([byte]).decode(encoding)))
            except UnicodeDecodeError:
                table.append(-1)
        charmaps[encoding] = table
    # fix_encoding's last resort decodes Latin-1 bytes as strict (not sloppy) Windows-1252.
    charmaps["windows-1252"] = []
    for byte in range(256):
        try:
            charmaps["windows-1252"].append(ord(bytes([byte]).decode("windows-1252")))
        except UnicodeDecodeError:
            charmaps["windows-1252"].append(-1)

    tables = {
        "ftfy_version": ftfy.__version__,
        "python_version": sys.version.split()[0],
        "charmap_encodings": chardata.CHARMAP_ENCODINGS,
        "charmaps": charmaps,
        "badness": badness_alternatives(),
        "utf8_clues": {name: clue_ranges(chars) for name, chars in chardata.UTF8_CLUES.items()},
        "ftfy_html_entities": chardata.HTML_ENTITIES,
        "ligatures": {str(k): v for k, v in chardata.LIGATURES.items()},
        "width_map": {str(k): v for k, v in chardata.WIDTH_MAP.items()},
        "html5_entities": html.entities.html5,
        "invalid_charrefs": {str(k): v for k, v in html._invalid_charrefs.items()},
        "invalid_codepoints": sorted(html._invalid_codepoints),
        "python_space": ranges_of(lambda cp: chr(cp).isspace()),
        "re_word": ranges_of(lambda cp: bool(re.match(r"\w", chr(cp)))),
        "re_space": ranges_of(lambda cp: bool(re.match(r"\s", chr(cp)))),
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(tables, f, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
