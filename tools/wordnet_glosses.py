#!/usr/bin/env python3
"""WordNet's glosses (Debian's wordnet-base package) as text-only llava samples, for pretraining.

Each synset becomes one question and its definition, the gloss up to its first example:
  {"id": "wordnet-n-00001930", "conversations": [
     {"from": "human", "value": "What does \"physical entity\" mean?"},
     {"from": "gpt", "value": "an entity that has physical existence"}]}
Every STRIDE-th synset of data.noun, data.verb, data.adj and data.adv, in file order, so the output
is the same on every machine with the same package.

Usage: python3 tools/wordnet_glosses.py OUT.json [--stride 3] [--source /usr/share/wordnet]
"""
import argparse
import json
import os
import re
import sys


def synsets(path):
    """(offset, first word, definition) for each synset line of a WordNet data file."""
    with open(path, encoding="utf-8") as data:
        for number, line in enumerate(data, 1):
            if line.startswith("  "):  # the licence header
                continue
            head, bar, gloss = line.partition(" | ")
            fields = head.split()
            if not bar or len(fields) < 5:
                sys.exit(f"{path}:{number}: not a WordNet synset line")
            word = re.sub(r"\([a-z]+\)$", "", fields[4]).replace("_", " ")
            definition = gloss.split('; "')[0].split(' "')[0].strip().rstrip(";").strip()
            if definition:
                yield fields[0], word, definition


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--source", default="/usr/share/wordnet")
    args = parser.parse_args()
    if args.stride < 1:
        sys.exit("--stride must be 1 or more")
    samples = []
    for part in ("noun", "verb", "adj", "adv"):
        path = os.path.join(args.source, "data." + part)
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: install Debian's wordnet-base package")
        for index, (offset, word, definition) in enumerate(synsets(path)):
            if index % args.stride == 0:
                samples.append({"id": f"wordnet-{part[0]}-{offset}",
                                "conversations": [{"from": "human", "value": f'What does "{word}" mean?'},
                                                  {"from": "gpt", "value": definition}]})
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(samples, out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(f"wrote {len(samples)} glosses to {args.out}")


if __name__ == "__main__":
    main()
