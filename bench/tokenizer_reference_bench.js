// Hugging Face's tokenizers library (Rust, through its node bindings) on the documents
// vltune_bench_tokenizer --write-text saved: tokens per second, one document at a time.
//   NODE_PATH=/tmp/tok-ref/node_modules node bench/tokenizer_reference_bench.js TOKENIZER.json DOCS.jsonl
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

(async () => {
  const [file, docsFile] = process.argv.slice(2);
  const docs = fs.readFileSync(docsFile, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
  let start = process.hrtime.bigint();
  const tokenizer = Tokenizer.fromFile(file);
  const loadS = Number(process.hrtime.bigint() - start) / 1e9;
  let tokens = 0;
  let bytes = 0;
  start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const doc of docs) {
    tokens += (await tokenizer.encode(doc, null, { addSpecialTokens: false })).getIds().length;
    bytes += Buffer.byteLength(doc);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;  // all the process's threads
  console.log(`${file}: tokenizers ${require('tokenizers/package.json').version}: loaded in ${loadS.toFixed(2)} s; ` +
    `${docs.length} documents, ${(bytes / 1e6).toFixed(2)} MB, ${tokens} tokens in ${seconds.toFixed(2)} s ` +
    `(${cpu.toFixed(2)} s of CPU): ${Math.round(tokens / seconds)} tokens/s of wall time, ` +
    `${Math.round(tokens / cpu)} per CPU second (one document at a time)`);
})();
