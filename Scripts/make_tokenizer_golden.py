#!/usr/bin/env python3
"""Golden tokenizer ids from open_clip's SimpleTokenizer (and transformers' CLIPTokenizer for the
Hugging Face layout), for CLIPTokenizerTests.

Writes Tests/CLIPTokenizerTests/Fixtures/tokenizer_golden.jsonl.gz: one JSON object per line with
the text, its category, `encode` (the reference's `encode(text)`, untruncated) and `context` (the
reference's `tokenizer([text])[0]` up to its padding). A few lines test other context lengths, and
`decode` holds the reference's decoding of `encode` for a subset. A second file,
`hf_golden.jsonl.gz`, holds transformers' ids for a Hugging Face tokenizer directory made from the
same vocabulary (`Fixtures/hf_tokenizer/`).

    pip install open_clip_torch transformers ftfy regex
    python Scripts/make_tokenizer_golden.py
"""
import codecs
import gzip
import json
import os
import random
import unicodedata

import ftfy  # noqa: F401  (open_clip's cleaning uses it; imported here to fail early)
from open_clip.tokenizer import SimpleTokenizer, default_bpe

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPTokenizerTests", "Fixtures")
rng = random.Random(20261130)

NOUNS = ["dog", "cat", "car", "tree", "house", "bicycle", "woman", "man", "child", "horse", "bird", "boat",
         "mountain", "beach", "city", "street", "pizza", "guitar", "laptop", "coffee cup", "train", "airplane",
         "flower", "river", "bridge", "elephant", "giraffe", "zebra", "teddy bear", "umbrella", "skateboard"]
ADJECTIVES = ["red", "small", "large", "happy", "old", "shiny", "blurry", "dark", "bright", "wooden", "fluffy",
              "vintage", "modern", "wet", "snowy", "colorful", "black and white", "cropped", "close-up"]
PLACES = ["the park", "a beach", "the kitchen", "a busy street", "the mountains", "a table", "the snow",
          "a living room", "the desert", "an office", "the forest", "a stadium", "the harbor"]
VERBS = ["sitting on", "running through", "standing near", "lying in", "looking at", "jumping over",
         "parked next to", "flying above", "hiding behind", "playing with"]
TEMPLATES = ["a photo of a {adj} {noun}.", "A {adj} {noun} {verb} {place}", "{noun} {verb} {place}.",
             "Two {noun}s {verb} {place}!", "a blurry photo of the {noun}", "An image of a {noun}, {adj}.",
             "itap of a {noun}", "a bad photo of the {noun}.", "The {adj} {noun} is {verb} {place}?",
             "there's a {noun} and it's {adj}", "We'll see the {noun} — they're {verb} {place}",
             "I'd say it's a {noun}; you've seen {place}", "art of the {noun}", "a sculpture of a {noun}."]

ACCENTED = ["Café crème à l'hôtel", "naïve façade", "Übermäßig schöne Straße", "El niño pequeño está aquí",
            "São Paulo à noite", "Zażółć gęślą jaźń", "Příliš žluťoučký kůň", "Tiếng Việt có dấu",
            "Ærøskøbing og Ålesund", "Ísland er fallegt", "crème brûlée", "Düsseldorf", "smörgåsbord", "piñata",
            "Œuvre complète", "İstanbul'da güzel bir gün", "Ørsted", "façade of the Musée d'Orsay"]
CJK = ["一只猫坐在桌子上", "北京的天安门广场", "我爱自然语言处理", "東京タワーの夜景", "猫が窓辺で寝ている",
       "ひらがなとカタカナ", "서울의 밤거리", "한국어 문장입니다", "山の上の小さな家", "香港維多利亞港"]
OTHER_SCRIPTS = ["قطة تجلس على الطاولة", "مرحبا بالعالم", "बिल्ली मेज़ पर बैठी है", "नमस्ते दुनिया",
                 "Кошка сидит на столе", "Привет, мир!", "Москва — столица России", "ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ",
                 "Γεια σου κόσμε", "שלום עולם", "สวัสดีชาวโลก", "Բարեւ աշխարհ", "ሰላም ልዑል", "გამარჯობა"]
EMOJI = ["😀", "🐶", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🤷🏻‍♀️", "🧑🏿‍🚀", "✔️", "☕", "🫠",
         "👋🏼", "🐈‍⬛", "1️⃣", "🏴󠁧󠁢󠁷󠁬󠁳󠁿", "💩", "🎉🎉🎉", "©️®️™️"]
ENTITIES = ["&amp;", "&lt;b&gt;", "&quot;quoted&quot;", "&#39;", "&#x27;", "&#8217;", "&nbsp;", "&eacute;",
            "&EACUTE;", "&Eacute;", "&hellip;", "&mdash;", "&copy; 2024", "&amp;amp;", "&#x1F600;", "&#128512;",
            "&notanentity;", "&amp", "&lt", "&#65", "&#0;", "&#x110000;", "&#55357;", "&#150;", "&ntilde; &NTILDE;",
            "AT&T", "fish & chips", "&#xZZ;", "&;", "&&", "&checkmark;", "&Jscr;ohn", "P&EACUTE;REZ", "&SZLIG;"]
PUNCT = ["Hello, world!", "What?!", "...", "--", "(a) [b] {c}", "e-mail: test@example.com", "#hashtag @user",
         "http://example.com/path?q=1&x=2", "C++ & C#", "100%", "$19.99", "€50", "3.14159", "1,000,000",
         "2024-11-30", "12:30pm", "+1 (555) 123-4567", "50/50", "a/b\\c", "~tilde~", "*bold*", "_under_",
         "'single' \"double\"", "it's", "IT'S", "don't", "we're", "they've", "I'm", "you'll", "he'd",
         "'S 'T 'RE", "rock'n'roll", "O'Brien", "ʼtwas", "l'amour", "¿Qué?", "¡Hola!", "«guillemets»", "¶§",
         "x²+y²=z²", "½ cup", "№5", "Ⅻ", "⅓", "١٢٣", "٣٫١٤", "१२३", "①②③", "𝟙𝟚𝟛"]
CURLY = ["“smart quotes”", "‘single smart’", "it’s", "„German“", "‛reversed‛", "ʼmodifierʼ", "‟double high‟"]
FULLWIDTH = ["ＬＯＵＤ　ＮＯＩＳＥＳ", "ｆｕｌｌｗｉｄｔｈ", "１２３", "Ｕﾀｰﾝ", "ｶﾀｶﾅ", "！？"]
LIGATURES = ["ﬂuﬃeﬆ", "ﬁnal", "ﬀ", "Ĳssel", "ǅ", "ﬅ"]
CONTROLS = ["tab\there", "new\nline", "cr\rlf\r\n", "null\x00byte", "bell\x07", "esc\x1b[31mred\x1b[0m",
            "del\x7f", "zero\u200bwidth", "bom\ufefftext", "\u2028line sep", "para\u2029sep", "nel\x85x",
            "\x1c\x1d\x1e\x1f", "vt\x0bff\x0c", "soft\xadhyphen", "nbsp\xa0space", "\u3000ideo", "rtl\u200fmark",
            "\u206adeprecated", "\ufff9anno\ufffb", "\ufffcobj", "c1\x80\x9fchars"]
WHITESPACE = ["", " ", "   ", "\t", "\n", "\n\n\t ", "\u3000", "\u00a0", "\u2003", " \u200b ", "\r\n"]


def mojibake_variants(text):
    out = []
    raw = text.encode("utf-8")
    for enc in ["latin-1", "windows-1252", "windows-1251", "windows-1250", "windows-1253", "macroman", "cp437"]:
        try:
            out.append(raw.decode(enc))
        except UnicodeDecodeError:
            out.append(raw.decode(enc, errors="replace"))
        try:
            out.append(raw.decode(enc).encode("utf-8").decode(enc))  # double mojibake
        except UnicodeDecodeError:
            pass
    try:
        mixed = text[:len(text) // 2] + text[len(text) // 2:].encode("utf-8").decode("windows-1252")
        out.append(mixed)
    except UnicodeDecodeError:
        pass
    out.append(raw.decode("windows-1252", errors="replace"))
    out.append(raw.decode("latin-1").replace("\xa0", " "))
    return out


def random_unicode(length):
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
              (0xE00, 0xE7F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2100, 0x218F), (0x2460, 0x24FF),
              (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFF00, 0xFFEF), (0x1F300, 0x1F64F),
              (0x0300, 0x036F), (0x1D400, 0x1D4FF)]
    out = []
    while len(out) < length:
        lo, hi = rng.choice(blocks)
        c = chr(rng.randint(lo, hi))
        if unicodedata.category(c) not in ("Cn", "Cs", "Co"):
            out.append(c)
    return "".join(out)


def build_texts():
    texts = []

    def add(category, items):
        texts.extend((category, t) for t in items)

    captions = []
    for _ in range(2000):
        t = rng.choice(TEMPLATES).format(adj=rng.choice(ADJECTIVES), noun=rng.choice(NOUNS),
                                         verb=rng.choice(VERBS), place=rng.choice(PLACES))
        if rng.random() < 0.2:
            t = t.upper() if rng.random() < 0.5 else t.title()
        captions.append(t)
    add("caption", captions)
    add("punctuation", PUNCT)
    add("numbers", [f"{rng.randint(0, 10**rng.randint(1, 9))}" for _ in range(100)]
        + [f"{rng.random() * 1000:.{rng.randint(0, 4)}f}" for _ in range(100)]
        + [f"{rng.randint(1, 31)}/{rng.randint(1, 12)}/{rng.randint(1900, 2030)}" for _ in range(50)])
    add("accented", ACCENTED + [rng.choice(ACCENTED) + " " + rng.choice(captions) for _ in range(150)])
    add("cjk", CJK + ["".join(rng.sample(CJK, 2)) for _ in range(100)])
    add("scripts", OTHER_SCRIPTS + [rng.choice(OTHER_SCRIPTS) + " " + rng.choice(OTHER_SCRIPTS) for _ in range(100)])
    add("emoji", EMOJI + [rng.choice(captions) + " " + "".join(rng.sample(EMOJI, 3)) for _ in range(150)])
    add("html", ENTITIES + [rng.choice(captions).replace(" ", rng.choice([" &amp; ", "&nbsp;", " "]), 2)
                            + rng.choice(ENTITIES) for _ in range(150)]
        + ["<b>" + rng.choice(ENTITIES) + "</b>" for _ in range(40)] + ["a < b &amp; c", "line1 &amp;\n<tag> &amp;"])
    add("quotes", CURLY + [rng.choice(CURLY) + " " + rng.choice(captions) for _ in range(60)])
    add("fullwidth", FULLWIDTH + LIGATURES + [rng.choice(FULLWIDTH + LIGATURES) + rng.choice(captions) for _ in range(60)])
    add("control", CONTROLS + [rng.choice(captions).replace(" ", rng.choice(CONTROLS), 1) for _ in range(80)])
    moji_sources = ACCENTED + CJK + OTHER_SCRIPTS + EMOJI + CURLY + ["café", "naïve", "“quoted”", "it’s", "—", "…",
                                                                      "€100", "½", "Ñandú", "à la carte", "voilà le travail"]
    mojibake = []
    for source in moji_sources:
        mojibake.extend(mojibake_variants(source))
    mojibake += ["â€œ like this â€\ufffd", "Ã©tÃ©", "sÃ³", "voilÃ le travail", "Ã ", "Ã\xa0", "Ã¡", "Â\xa0",
                 "âœ” No problems", "&macr;\\_(ã\x83\x84)_/&macr;", "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Ð ÑƒÑÑÐºÐ¸Ð¹",
                 "Ã¼ber", "CafÃ© and Ã¼ber", "This is a Ã test", "\xc3\x80 la", "Ã¢â‚¬Å“doubleÃ¢â‚¬Â", "â€™",
                 "Ã¡Ã©Ã­Ã³Ãº", "Ã\x81rbol", "ĂŠ", "Ä\x8d", "Å¾ena", "Ă©tĂ©", "РІР°С€", "Ð\xa0Ð°Ð·", "Ã¦", "Ã\x9f",
                 "Ã\x83Â©", "ã\x81\x82", "í\xa0½í¸\x80", "\xed\xa0\xbd\xed\xb8\x80", "Ã\x80", "Â·", "Â»", "Â«",
                 "Ã\x89COLE", "l’Ã©tÃ©", "caf\x82", "\x93quoted\x94", "\x85 ellipsis", "Ã\u2019", "â\x80\x9c"]
    add("mojibake", mojibake)
    long_texts = []
    for _ in range(120):
        long_texts.append(" ".join(rng.choice(captions) for _ in range(rng.randint(8, 30))))
    long_texts.append("word " * 500)
    long_texts.append("😀" * 200)
    long_texts.append("supercalifragilisticexpialidocious" * 20)
    add("long", long_texts)
    add("whitespace", WHITESPACE + [w + rng.choice(captions) + w for w in WHITESPACE])
    add("special", ["<start_of_text>", "<end_of_text>", "a <end_of_text> b", "<START_OF_TEXT>hi",
                    "<|startoftext|>", "<|endoftext|>", "<start_of_text><end_of_text>", "<ſtart_of_text>",
                    "'ſ", "ΣΑΣ ΟΔΟΣ", "ΣΑ Σ", "İstanbul İİ", "ﬃ İ Σ"])
    add("fuzz", [random_unicode(rng.randint(1, 40)) for _ in range(1300)])
    seen = set()
    unique = []
    for category, text in texts:
        if text not in seen:
            seen.add(text)
            unique.append((category, text))
    return unique


def write_hf_directory(directory):
    """A Hugging Face tokenizer directory for the same vocabulary, as transformers' CLIP files are laid out."""
    from open_clip.tokenizer import bytes_to_unicode
    os.makedirs(directory, exist_ok=True)
    merges = gzip.open(default_bpe()).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m.split()) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>", "model_max_length": 77, "tokenizer_class": "CLIPTokenizer"}, f)


def main():
    tokenizer = SimpleTokenizer()
    texts = build_texts()
    rows = []
    for index, (category, text) in enumerate(texts):
        encoded = tokenizer.encode(text)
        context = tokenizer([text])[0].tolist()[:min(len(encoded) + 2, 77)]
        row = {"category": category, "text": text, "encode": encoded, "context": context}
        if index % 7 == 0:
            row["decode"] = tokenizer.decode(encoded)
        rows.append(row)
    for length in (2, 5, 16, 32):
        for category, text in texts[::97]:
            n = len(tokenizer.encode(text)) + 2
            rows.append({"category": f"context{length}", "text": text, "context_length": length,
                         "context": tokenizer([text], context_length=length)[0].tolist()[:min(n, length)]})
    os.makedirs(FIXTURES, exist_ok=True)
    with gzip.open(os.path.join(FIXTURES, "tokenizer_golden.jsonl.gz"), "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = {}
    for category, _ in texts:
        counts[category] = counts.get(category, 0) + 1
    print(f"{len(texts)} texts, {len(rows)} rows:", counts)

    hf_dir = os.path.join(FIXTURES, "hf_tokenizer")
    write_hf_directory(hf_dir)
    from transformers import CLIPTokenizer
    hf = CLIPTokenizer.from_pretrained(hf_dir)
    with gzip.open(os.path.join(FIXTURES, "hf_golden.jsonl.gz"), "wt", encoding="utf-8") as f:
        for category, text in texts[::5]:
            ids = hf(text, padding="max_length", truncation=True, max_length=77)["input_ids"]
            f.write(json.dumps({"category": category, "text": text, "ids": ids}, ensure_ascii=False) + "\n")
    print("wrote Hugging Face golden ids for", len(texts[::5]), "texts")


if __name__ == "__main__":
    main()
