#!/usr/bin/env python3
"""Hugging Face `tokenizer.json` files of every model type the new families use, and golden ids from the
`tokenizers` library, for CLIPTokenizerTests.

The model hubs cannot be reached here, so the tokenizers are trained from scratch on a small
multilingual corpus, the way each family's tokenizer is made:

- `wordpiece/`  BERT (Chinese-CLIP): BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP];
                also `vocab.txt`, the file Chinese-CLIP's BertTokenizer ships.
- `unigram_xlmr/`  XLM-RoBERTa: a SentencePiece Unigram model (nmt_nfkc normalisation, hence the
                Precompiled normaliser) converted by transformers' `XLMRobertaConverter`.
- `unigram_t5/`  SigLIP: the same SentencePiece model through `T5Converter` (WhitespaceSplit +
                Metaspace, $A </s>); also `spiece.model`, the file SigLIP's slow tokenizer ships.
- `bpe_gemma/`  SigLIP 2: a SentencePiece BPE model with byte fallback through `GemmaConverter`.

`golden.jsonl.gz` holds one line per (tokenizer, text): `ids` (`encode(text).ids`, special tokens
added, no truncation or padding), `plain` (the same without special tokens) and `fixed` (truncated
and padded with `pad_id` to `length`, as open_clip's HFTokenizer asks: `truncation=True, padding="max_length"`).
`spiece_golden.jsonl.gz` holds `sentencepiece`'s own `encode(text)` for `spiece.model`.
`model_golden.jsonl.gz` holds what the models' own tokenizers make of the texts at a fixed length:
`siglip` (transformers' `SiglipTokenizer` over `spiece.model`: canonicalised, `</s>` appended, padded
with `</s>`), `open_clip_canonicalize` and `open_clip_whitespace` (open_clip's `HFTokenizer` over
`unigram_t5/`, whose `tokenizer_config.json` names the pad token, with those `clean` modes) and
`bert` (transformers' `BertTokenizer` over `wordpiece/vocab.txt`, as Chinese-CLIP loads it).

    pip install tokenizers sentencepiece transformers protobuf open_clip_torch ftfy
    python Scripts/make_tokenizer_json_fixtures.py
"""
import gzip
import json
import os
import random
import shutil
import tempfile

import sentencepiece as spm
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
import transformers.convert_slow_tokenizer as converters

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "CLIPTokenizerTests", "Fixtures", "tokenizer_json")
rng = random.Random(20261202)

WORDS = {
    "en": "a photo of the dog cat car tree house bicycle woman man child horse bird boat mountain beach city "
          "street pizza guitar laptop coffee train airplane flower river bridge elephant running sitting "
          "standing looking red small large happy old bright wooden fluffy modern snowy colorful".split(),
    "fr": "une photo du chien chat voiture arbre maison vélo femme homme enfant cheval oiseau bateau montagne "
          "plage ville rue été très élégant café crème à où déjà garçon noël".split(),
    "de": "ein Foto des Hundes Katze Auto Baum Haus Fahrrad Frau Mann Kind Pferd Vogel Boot Berg Strand "
          "Stadt Straße schön größer über Mädchen grüne Bäume".split(),
    "es": "una foto del perro gato coche árbol casa bicicleta mujer hombre niño caballo pájaro barco montaña "
          "playa ciudad calle pequeño mañana corazón".split(),
    "ru": "фотография собаки кошка машина дерево дом велосипед женщина мужчина ребёнок лошадь птица лодка "
          "гора пляж город улица красный маленький".split(),
    "el": "μια φωτογραφία σκύλος γάτα αυτοκίνητο δέντρο σπίτι ποδήλατο γυναίκα άνδρας παιδί άλογο πουλί".split(),
    "ar": "صورة كلب قطة سيارة شجرة منزل دراجة امرأة رجل طفل حصان طائر قارب جبل شاطئ مدينة شارع".split(),
    "hi": "एक तस्वीर कुत्ता बिल्ली गाड़ी पेड़ घर साइकिल महिला आदमी बच्चा घोड़ा पक्षी नाव पहाड़ समुद्र शहर".split(),
    "zh": ["一张", "照片", "狗", "猫", "汽车", "树", "房子", "自行车", "女人", "男人", "孩子", "马", "鸟", "船",
           "山", "海滩", "城市", "街道", "红色", "小的", "在", "公园", "里", "跑步", "的"],
    "ja": ["写真", "犬", "猫", "車", "木", "家", "自転車", "女性", "男性", "子供", "馬", "鳥", "船", "山",
           "ビーチ", "都市", "通り", "の", "が", "を", "に", "で", "走っている", "かわいい", "ねこ", "いぬ"],
    "ko": "사진 개 고양이 자동차 나무 집 자전거 여자 남자 아이 말 새 배 산 해변 도시 거리".split(),
    "th": ["รูปภาพ", "สุนัข", "แมว", "รถยนต์", "ต้นไม้", "บ้าน", "จักรยาน", "ผู้หญิง", "ผู้ชาย"],
}

GOLDEN = [
    "a photo of a dog",
    "A Photo Of A DOG, running on the beach!",
    "",
    " ",
    "   leading and trailing spaces   ",
    "multiple     spaces\tand\ttabs\nand\r\nnewlines",
    "一张狗的照片",
    "一只猫在公园里跑步。",
    "猫,狗",
    "犬の写真です",
    "ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３",
    "ｶﾀｶﾅ ﾊﾝｶｸ",
    "صورة كلب على الشاطئ",
    "एक कुत्ते की तस्वीर",
    "사진 속의 고양이",
    "รูปภาพของแมว",
    "фотография собаки на пляже",
    "ΣΊΣΥΦΟΣ ΟΔΟΣ",
    "İstanbul ığdır ŞEHİR",
    "café crème à la française, déjà vu",
    "Straße über größer",
    "e\u0301 a\u0300 n\u0303 (combining accents)",
    "ﬁne ﬂower ligatures ½ ² ™ ℃ ①",
    "emoji 🐶🐱 dog cat 😀",
    "family 👨‍👩‍👧‍👦 and flag 🇯🇵 and skin 👍🏽",
    "zero\u200bwidth\u200cjoiner\u200d and nbsp\u00a0here",
    "control\u0001chars\u0007and\u007fdel",
    "replacement \ufffd char",
    "unassigned \U000e0001 tag and private \ue000 use",
    "numbers 1234567890 3.14159 1,000,000",
    "punctuation!!! ??? ... --- ;;; \"quoted\" 'single' (paren) [bracket] {brace}",
    "url https://example.com/path?q=1&b=2#frag",
    "email someone@example.org",
    "<s> written special </s> tokens [CLS] [SEP] <pad> <unk> <bos> <eos>",
    "[MASK] in the middle [MASK]",
    "a <mask> with a space before <mask>and none after",
    "x" * 150,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "mixed 中文 English 日本語 한국어 العربية हिन्दी",
    "\u3000ideographic\u3000space",
    "tab\tat\tend\t",
    "rare chars: ǅ ǈ Ω K Å ﬀ ŉ",
    "math 𝐀𝐁𝐂 𝓍𝓎𝓏 ℝ",
    "ancient 𓀀 𐎀 script",
]


def sentence(language):
    words = WORDS[language]
    joiner = "" if language in ("zh", "ja", "th") else " "
    return joiner.join(rng.choice(words) for _ in range(rng.randint(3, 9)))


def training_corpus():
    lines = []
    for _ in range(60):
        for language in WORDS:
            lines.append(sentence(language))
    lines += [text for text in GOLDEN if text.strip()]
    lines += ["0123456789 " * 3, "!?.,;:'\"()[]{}-_/\\@#$%^&*+=<>|~`"]
    return lines


def long_texts():
    texts = []
    for language in ("en", "zh", "ar", "hi", "ja"):
        texts.append(" ".join(sentence(language) for _ in range(12)))
    return texts


def golden_texts():
    texts = list(GOLDEN) + long_texts()
    for language in WORDS:
        texts += [sentence(language) for _ in range(6)]
    return texts


class SentencePieceSource:
    """What transformers' converters read from a slow tokenizer: the model file and token ids."""

    def __init__(self, model_file, **tokens):
        self.vocab_file = model_file
        self._extra_ids = 0
        self.processor = spm.SentencePieceProcessor(model_file=model_file)
        self.ids = {}
        for name, value in tokens.items():
            setattr(self, name, value)

    def convert_tokens_to_ids(self, token):
        return self.ids[token]


def train_sentencepiece(folder, model_type, vocab_size, **options):
    corpus = os.path.join(folder, f"{model_type}_corpus.txt")
    with open(corpus, "w", encoding="utf-8") as file:
        file.write("\n".join(training_corpus()) + "\n")
    prefix = os.path.join(folder, model_type)
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, model_type=model_type, vocab_size=vocab_size,
                                   character_coverage=0.9995, hard_vocab_limit=False, num_threads=1,
                                   minloglevel=2, **options)
    return prefix + ".model"


def wordpiece_tokenizer():
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(training_corpus(), trainers.WordPieceTrainer(vocab_size=1500, special_tokens=specials))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def converted(converter, model_file, **tokens):
    source = SentencePieceSource(model_file, **tokens)
    # The converters ask the slow tokenizer for ids of their special tokens: take them from the vocabulary
    # the converter itself builds.
    instance = converter(source)
    source.ids = {piece: index for index, (piece, _) in enumerate(instance.vocab(instance.proto))}
    return instance.converted()


def gemma_tokenizer(model_file):
    """Gemma's tokenizer.json as transformers' GemmaConverter writes it (byte-fallback BPE over the
    SentencePiece pieces, spaces replaced by ▁ and no pre-tokenisation, <bos> first); the converter
    itself is built here because transformers 5's cannot read a model file directly."""
    extracted = converters.SentencePieceExtractor(model_file).extract(models.BPE)
    tokenizer = Tokenizer(models.BPE(vocab=extracted["vocab"], merges=extracted["merges"], unk_token="<unk>",
                                     fuse_unk=True, byte_fallback=True, dropout=None))
    tokenizer.normalizer = normalizers.Replace(" ", "\u2581")
    tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
    tokenizer.add_special_tokens(["<pad>", "<eos>", "<bos>", "<unk>"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", tokenizer.token_to_id("<bos>"))])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    return tokenizer


def xlmr_tokenizer(model_file):
    """XLM-RoBERTa's tokenizer.json: the converter's, plus `<mask>` as the published file declares it
    (special, stripping the space on its left)."""
    tokenizer = converted(converters.XLMRobertaConverter, model_file)
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    return tokenizer


def model_golden_rows(unigram_folder, wordpiece_folder, length=16):
    """The ids the models' own tokenizer classes give, padded and truncated to `length`."""
    from open_clip.tokenizer import HFTokenizer
    from transformers import BertTokenizer, SiglipTokenizer
    tokenizers = {
        "siglip": lambda texts: SiglipTokenizer(vocab_file=os.path.join(unigram_folder, "spiece.model"))(
            texts, padding="max_length", max_length=length, truncation=True).input_ids,
        "open_clip_canonicalize": lambda texts: HFTokenizer(unigram_folder, context_length=length, clean="canonicalize")(texts).tolist(),
        "open_clip_whitespace": lambda texts: HFTokenizer(unigram_folder, context_length=length, clean="whitespace")(texts).tolist(),
        "bert": lambda texts: BertTokenizer(vocab=os.path.join(wordpiece_folder, "vocab.txt"))(
            texts, padding="max_length", max_length=length, truncation=True).input_ids,
    }
    texts = golden_texts()
    rows = []
    for name, tokenize in tokenizers.items():
        for text, ids in zip(texts, tokenize(texts)):
            rows.append({"tokenizer": name, "text": text, "length": length, "ids": list(ids)})
    return rows


def write_golden(rows, name):
    with gzip.open(os.path.join(FIXTURES, name), "wt", encoding="utf-8", compresslevel=9) as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def golden_rows(name, tokenizer, length, pad_id):
    rows = []
    for text in golden_texts():
        tokenizer.no_truncation()
        tokenizer.no_padding()
        ids = tokenizer.encode(text).ids
        plain = tokenizer.encode(text, add_special_tokens=False).ids
        tokenizer.enable_truncation(max_length=length)
        tokenizer.enable_padding(length=length, pad_id=pad_id)
        fixed = tokenizer.encode(text).ids
        tokenizer.no_truncation()
        tokenizer.no_padding()
        rows.append({"tokenizer": name, "text": text, "ids": ids, "plain": plain, "length": length, "pad_id": pad_id,
                     "fixed": fixed})
    return rows


def main():
    if os.path.isdir(FIXTURES):
        shutil.rmtree(FIXTURES)
    os.makedirs(FIXTURES)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        unigram_model = train_sentencepiece(scratch, "unigram", 1200, normalization_rule_name="nmt_nfkc",
                                            unk_id=2, bos_id=-1, eos_id=1, pad_id=0)
        bpe_model = train_sentencepiece(scratch, "bpe", 1200, byte_fallback=True, split_digits=True,
                                        allow_whitespace_only_pieces=True, normalization_rule_name="identity",
                                        remove_extra_whitespaces=False, pad_id=0, eos_id=1, bos_id=2, unk_id=3,
                                        pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>")

        tokenizers = {
            "wordpiece": (wordpiece_tokenizer(), 16, 0),
            "unigram_xlmr": (xlmr_tokenizer(unigram_model), 16, 1),
            "unigram_t5": (converted(converters.T5Converter, unigram_model), 16, 0),
            "bpe_gemma": (gemma_tokenizer(bpe_model), 16, 0),
        }
        for name, (tokenizer, length, pad_id) in tokenizers.items():
            folder = os.path.join(FIXTURES, name)
            os.makedirs(folder)
            tokenizer.save(os.path.join(folder, "tokenizer.json"))
            rows += golden_rows(name, tokenizer, length, pad_id)

        vocabulary = tokenizers["wordpiece"][0].get_vocab()
        with open(os.path.join(FIXTURES, "wordpiece", "vocab.txt"), "w", encoding="utf-8") as file:
            file.write("".join(token + "\n" for token, _ in sorted(vocabulary.items(), key=lambda item: item[1])))
        shutil.copy(unigram_model, os.path.join(FIXTURES, "unigram_t5", "spiece.model"))

        processor = spm.SentencePieceProcessor(model_file=unigram_model)
        spiece_rows = [{"text": text, "ids": processor.encode(text)} for text in golden_texts()]
        with open(os.path.join(FIXTURES, "unigram_t5", "tokenizer_config.json"), "w") as file:
            json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "pad_token": "</s>", "eos_token": "</s>",
                       "unk_token": "<unk>", "model_max_length": 64}, file, indent=2)
        model_rows = model_golden_rows(os.path.join(FIXTURES, "unigram_t5"), os.path.join(FIXTURES, "wordpiece"))
    write_golden(rows, "golden.jsonl.gz")
    write_golden(spiece_rows, "spiece_golden.jsonl.gz")
    write_golden(model_rows, "model_golden.jsonl.gz")
    print(f"wrote {len(rows)} tokenizer.json rows and {len(spiece_rows)} sentencepiece rows to {FIXTURES}")


if __name__ == "__main__":
    main()
