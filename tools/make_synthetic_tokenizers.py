#!/usr/bin/env python3
"""Writes two small tokenizer.json files that exercise the parts of the format the three real
vocabularies (Qwen3, Llama 3, Gemma 3) leave out: Metaspace, Digits, NFKC, regex Replace,
Split behaviours, ByteLevel's GPT-2 regex and prefix space, byte_fallback with a fused unk,
added tokens with lstrip / rstrip / single_word / normalized, Strip and Metaspace decoders, a
Sequence post-processor with a template. Their merges are learnt here from a small text; the
golden ids come from the tokenizers library (tools/make_tokenizer_goldens.js), not from this.

    python3 tools/make_synthetic_tokenizers.py   # writes tests/data/tokenizer-goldens/{synthetic-*,tiny-chatml}/
The third, tiny-chatml, is the tokenizer of the "trains on a folder whose only tokenizer is a
tokenizer.json" test (tests/test_train.cpp). The fourth is the tiny Qwen2.5-VL fixture's
(tests/data/hf-tiny-qwen2_5-vl/base, vocabulary 320): tiny-chatml plus Qwen's vision specials at
the ids its config.json names (image 300, video 301, vision start 302, vision end 303).
Deterministic: re-running it reproduces the files byte for byte.
"""
import collections
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "tokenizer-goldens")
TEXT = ("the quick brown fox jumps over the lazy dog and the dog sleeps while the fox runs "
        "hello world this is a test of the tokenizer with numbers 123 456 and words that repeat "
        "tokenizers split text into pieces then merge the most frequent pairs again and again")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def learn_merges(words, vocab, count):
    """Greedy BPE: repeatedly merges the most frequent adjacent pair (ties: the smallest pair)."""
    seqs = [list(w) for w in words]
    merges = []
    for _ in range(count):
        pairs = collections.Counter()
        for s in seqs:
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += 1
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(list(best))
        vocab.setdefault(best[0] + best[1], len(vocab))
        for s in seqs:
            i = 0
            while i < len(s) - 1:
                if (s[i], s[i + 1]) == best:
                    s[i:i + 2] = [best[0] + best[1]]
                i += 1
    return merges


def token(content, id, special, normalized, lstrip=False, rstrip=False, single_word=False):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def metaspace_tokenizer():
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for c in sorted(set(TEXT.replace(" ", "▁")) | {"▁"}):
        vocab.setdefault(c, len(vocab))
    merges = learn_merges(["▁" + w for w in TEXT.split()], vocab, 120)
    n = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [token("<unk>", 0, True, False), token("<s>", 1, True, False), token("</s>", 2, True, False),
                         token("<mask>", n, True, False, lstrip=True, rstrip=True, single_word=True),
                         token("full", n + 1, False, True, rstrip=True),
                         token("[sep]", n + 2, False, False, single_word=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                        {"SpecialToken": {"id": "</s>", "type_id": 0}}],
             "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]},
                                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}]},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def byte_level_tokenizer():
    alphabet = bytes_to_unicode()
    vocab = {}
    for b in range(256):
        vocab[alphabet[b]] = len(vocab)
    words = ["".join(alphabet[b] for b in (" " + w).encode()) for w in TEXT.split()]
    merges = learn_merges(words, vocab, 150)
    n = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [token("<|endoftext|>", n, True, False), token("<tool>", n + 1, False, False, lstrip=True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"String": "--"}, "behavior": "Removed", "invert": False},
            {"type": "Split", "pattern": {"Regex": "[0-9]"}, "behavior": "Contiguous", "invert": False},
            {"type": "Split", "pattern": {"String": "."}, "behavior": "MergedWithNext", "invert": False},
            {"type": "Split", "pattern": {"Regex": "[a-z]+"}, "behavior": "MergedWithPrevious", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [" ".join(m) for m in merges]},
    }


def chatml_tokenizer():
    """Exactly 300 ids, the vocabulary of the tiny text fixture (tests/data/hf-tiny-llama3-text):
    256 byte-level characters, 41 merges, then the three ChatML specials."""
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(256)}
    words = ["".join(alphabet[b] for b in (" " + w).encode()) for w in TEXT.split()]
    merges = learn_merges(words, vocab, 41)
    n = len(vocab)
    assert n == 297, n
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [token("<|endoftext|>", n, True, False), token("<|im_start|>", n + 1, True, False),
                         token("<|im_end|>", n + 2, True, False)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    config = {"add_bos_token": False, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
              "chat_template": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                               "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"}
    return tokenizer, config


def qwen_vl_tokenizer():
    """tiny-chatml's 300 ids, then <|image_pad|>, <|video_pad|>, <|vision_start|>, <|vision_end|> as
    300..303, the ids of tests/data/hf-tiny-qwen2_5-vl/base/config.json; 304 pieces in a vocabulary of 320."""
    tokenizer, config = chatml_tokenizer()
    for i, name in enumerate(("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>")):
        tokenizer["added_tokens"].append(token(name, 300 + i, True, False))
    return tokenizer, config


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    for name, build in (("synthetic-metaspace", metaspace_tokenizer), ("synthetic-bytelevel", byte_level_tokenizer)):
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, "tokenizer.json"), build())
        print(folder)
    folder = os.path.join(OUT, "tiny-chatml")
    os.makedirs(folder, exist_ok=True)
    tokenizer, config = chatml_tokenizer()
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    print(folder)
    folder = os.path.join(HERE, "..", "tests", "data", "hf-tiny-qwen2_5-vl", "base")
    tokenizer, config = qwen_vl_tokenizer()
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    print(folder)


if __name__ == "__main__":
    main()
