#!/usr/bin/env python3
"""The Python `tokenizers` library beside vltune's tokenizer.json reader (run where it is installed,
e.g. the GPU machine):
  1. checks the committed goldens (made through the library's node bindings) against the Python
     library: every corpus line's ids with and without specials and both decodes;
  2. times one-thread encoding of the documents `vltune_bench_tokenizer --write-text` saved.

    python3 tools/tokenizer_reference.py CACHE DOCS.jsonl
CACHE holds qwen3/, llama3/, gemma3/ as tools/fetch_tokenizers.sh lays them out.
"""
import json
import os
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")
import tokenizers  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "tokenizer-goldens")
REAL = ["qwen3", "llama3", "gemma3"]


def tokenizer_path(cache, name):
    return os.path.join(cache if name in REAL else ROOT, name, "tokenizer.json")


def check(cache):
    for name in REAL + ["synthetic-metaspace", "synthetic-bytelevel"]:
        tok = tokenizers.Tokenizer.from_file(tokenizer_path(cache, name))
        with open(os.path.join(ROOT, name + ".jsonl"), encoding="utf-8") as f:
            cases = [json.loads(line) for line in f][1:]
        bad = [c["text"] for c in cases
               if tok.encode(c["text"], add_special_tokens=False).ids != c["ids"]
               or tok.encode(c["text"], add_special_tokens=True).ids != c["ids_specials"]
               or tok.decode(c["ids"], skip_special_tokens=False) != c["decoded"]
               or tok.decode(c["ids_specials"], skip_special_tokens=True) != c["decoded_skip_specials"]]
        print(f"{name}: Python tokenizers {tokenizers.__version__}: {len(cases) - len(bad)} of {len(cases)} lines equal"
              f" to the goldens{'; differ: ' + repr(bad[:5]) if bad else ''}")


def bench(cache, docs_file):
    with open(docs_file, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    size = sum(len(d.encode()) for d in docs) / 1e6
    for name in REAL:
        start = time.perf_counter()
        tok = tokenizers.Tokenizer.from_file(tokenizer_path(cache, name))
        load = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        tokens = sum(len(tok.encode(d, add_special_tokens=False).ids) for d in docs)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{name}: Python tokenizers {tokenizers.__version__}: loaded in {load:.2f} s; {len(docs)} documents, "
              f"{size:.2f} MB, {tokens} tokens in {wall:.2f} s ({cpu:.2f} s of CPU): {tokens / wall:.0f} tokens/s of wall "
              f"time, {tokens / cpu:.0f} per CPU second (one thread)")


if __name__ == "__main__":
    check(sys.argv[1])
    bench(sys.argv[1], sys.argv[2])
