// Checks an ORM folder in Steplab's own inference code against PyTorch (eval_orm.py writes the fixture):
//   - loadModel reads it (manifest role orm with ormTemplate; tokenizer.json, with the characters the
//     JSON verdict needs, fits config.json's vocab_size);
//   - renderOrmPrompt gives the same text as steplab_model.format_orm_input, and the Engine's ids are
//     PyTorch's;
//   - greedy decoding through onnxruntime-node (Engine, KV cache; pictures through the vision encoder)
//     gives PyTorch's tokens, and parseOrmOutput reads the text as the Python parser does.
// Prints one JSON line with the results; exits 1 when a check fails.
//
//   node bin/run-ts.js models/recipes/orm_check.ts --model <dir> --fixture <file.json>
//
// fixture: {"max_new_tokens": 160, "cases": [{"question", "steps": [...], "image": <path> | null,
//           "input_text", "prompt_ids": [...], "tokens": [... with </s> when it ended], "parse": {...}}]}
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Engine } from '../../src-main/core/inference/engine';
import { preprocessImage } from '../../src-main/core/inference/image';
import { loadModel } from '../../src-main/core/inference/model';
import { renderOrmPrompt } from '../../src-main/core/inference/prompt';
import { parseOrmOutput } from '../../src-main/core/reward/orm';

interface Case {
  question: string;
  steps: string[];
  image: string | null;
  input_text: string;
  prompt_ids: number[];
  tokens: number[];
  parse: { ok: boolean; status?: string; error_step?: number | null; error_analysis?: string; improvement_suggestion?: string };
}

const { values } = parseArgs({ options: { model: { type: 'string' }, fixture: { type: 'string' } }, strict: true });
if (!values.model || !values.fixture) {
  console.error('usage: node bin/run-ts.js models/recipes/orm_check.ts --model <dir> --fixture <file.json>');
  process.exit(2);
}
const fx = JSON.parse(readFileSync(values.fixture, 'utf8')) as { max_new_tokens: number; cases: Case[] };
const failures: string[] = [];
const model = await loadModel(values.model);
const m = model.manifest;
if (m.role !== 'orm') failures.push(`role is ${m.role}, not orm`);
const binary = m.ormTemplate?.kind === 'binary';
const engine = new Engine(model);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
let textSame = 0;
let idsSame = 0;
let tokensSame = 0;
let parseSame = 0;
const requests = [];
for (const [i, c] of fx.cases.entries()) {
  const text = renderOrmPrompt(m, c.question, { hasImage: c.image !== null, steps: c.steps });
  if (text === c.input_text) textSame++;
  else failures.push(`case ${i}: renderOrmPrompt ${JSON.stringify(text)} vs python ${JSON.stringify(c.input_text)}`);
  const ids = engine.encodePrompt(text);
  if (same(ids, c.prompt_ids)) idsSame++;
  else failures.push(`case ${i}: prompt ids differ`);
  const pixels = c.image ? await preprocessImage(readFileSync(c.image), m.image!) : null;
  requests.push({ prefix: ids, image: pixels ? { key: `orm-check-${i}`, pixels } : undefined, rngs: [() => 0] });
}
const out = await engine.generate(requests, { temperature: 0, topK: 0, topP: 1, maxNewTokens: fx.max_new_tokens, stopAtStep: false });
const samples: string[] = [];
for (const [i, c] of fx.cases.entries()) {
  const r = out[i][0];
  const tokens = r.finish === 'eos' ? [...r.tokens, model.tokens.eos] : r.tokens;
  if (same(tokens, c.tokens)) tokensSame++;
  else failures.push(`case ${i}: greedy tokens differ (${tokens.length} vs ${c.tokens.length})`);
  const p = parseOrmOutput(r.text, c.steps.length, { binary });
  const mine = p.ok
    ? { ok: true, status: p.verdict.status, error_step: p.verdict.errorStep, error_analysis: p.verdict.errorAnalysis, improvement_suggestion: p.verdict.improvementSuggestion }
    : { ok: false };
  const theirs = c.parse.ok ? c.parse : { ok: false };
  if (JSON.stringify(mine) === JSON.stringify(theirs)) parseSame++;
  else failures.push(`case ${i}: parseOrmOutput ${JSON.stringify(mine)} vs python ${JSON.stringify(theirs)}`);
  if (samples.length < 3) samples.push(r.text);
}
await model.release();
const n = fx.cases.length;
const result = {
  ok: failures.length === 0,
  provider: model.provider,
  vocab_size: model.config.vocabSize,
  render_text_match: `${textSame}/${n}`,
  prompt_ids_match: `${idsSame}/${n}`,
  greedy_tokens_match: `${tokensSame}/${n}`,
  parse_match: `${parseSame}/${n}`,
  sample_outputs: samples,
  failures,
};
console.log(JSON.stringify(result));
process.exit(failures.length === 0 ? 0 : 1);
