// Writes the demo family's tokenizer: one token per character of DEMO_VOCAB, the SPECIAL_TOKENS
// (ids 0..6) matched whole before any character split, a BOS prepended by the post-processor.
//
//   node bin/run-ts.js models/recipes/make_tokenizer.ts --out <dir> [--fixture <file.json>]
//
// Files: tokenizer.json (a BPE model with a character vocabulary and no merges, so every
// character is its own token; no normalizer or pre-tokenizer, so nothing is split or changed),
// tokenizer_config.json and special_tokens_map.json. Before it exits it loads the written files
// with @huggingface/tokenizers and checks that prompts, solutions and reflections round-trip and
// that every special token is one token. With --fixture it also writes strings and the ids this
// library gives them, for steplab_model.py's Python tokenizer to be compared against.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  BOS_TOKEN,
  DEMO_VOCAB,
  EOS_TOKEN,
  IMAGE_TOKEN,
  PAD_TOKEN,
  PRM_NO,
  PRM_TOKEN,
  PRM_YES,
  SPECIAL_TOKENS,
  createRng,
  formatPrompt,
  formatSolution,
  generateProblems,
  labelSolution,
} from '../../src-main/core/demo';

/** Longest sequence the demo models are trained and exported for (prompt + solution + reflection). */
export const MODEL_MAX_LENGTH = 512;

const USAGE = 'usage: node bin/run-ts.js models/recipes/make_tokenizer.ts --out <dir> [--fixture <file.json>]';

function fail(message: string): never {
  console.error(`make_tokenizer: ${message}\n${USAGE}`);
  process.exit(2);
}

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export function tokenizerFiles(): { tokenizer: object; config: object; specialMap: object } {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => {
    vocab[t] = i;
  });
  [...DEMO_VOCAB].forEach((ch, i) => {
    vocab[ch] = SPECIAL_TOKENS.length + i;
  });
  const added: AddedTokenJson[] = SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const bosId = vocab[BOS_TOKEN];
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS_TOKEN, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS_TOKEN, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: BOS_TOKEN, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [BOS_TOKEN]: { id: BOS_TOKEN, ids: [bosId], tokens: [BOS_TOKEN] } },
    },
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const addedDecoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const { id, ...rest } of added) addedDecoder[String(id)] = rest;
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS_TOKEN,
    eos_token: EOS_TOKEN,
    pad_token: PAD_TOKEN,
    unk_token: null,
    additional_special_tokens: [IMAGE_TOKEN, PRM_TOKEN, PRM_YES, PRM_NO],
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: MODEL_MAX_LENGTH,
    padding_side: 'left',
    truncation_side: 'left',
    model_input_names: ['input_ids', 'attention_mask'],
    added_tokens_decoder: addedDecoder,
  };
  const specialMap = {
    bos_token: BOS_TOKEN,
    eos_token: EOS_TOKEN,
    pad_token: PAD_TOKEN,
    additional_special_tokens: [IMAGE_TOKEN, PRM_TOKEN, PRM_YES, PRM_NO],
  };
  return { tokenizer, config, specialMap };
}

/** Prompts with solutions, reflections, PRM-style text and a few edge cases, from a fixed seed. */
function sampleTexts(count: number): string[] {
  const problems = generateProblems({ seed: 4242, count });
  const rng = createRng(4242);
  const out: string[] = [];
  for (const p of problems) {
    const hasImage = p.image_count !== undefined;
    const wrong = [...p.steps];
    const i = rng.int(0, wrong.length - 1);
    wrong[i] = wrong[i].replace(/\d+$/, (d) => String(Number(d) + rng.int(1, 9)));
    const { diagnosis } = labelSolution(p, wrong);
    const reflection = rng.next() < 0.3 ? diagnosis : undefined;
    out.push(formatPrompt(p.question, { hasImage, reflection }) + formatSolution(p.steps));
    out.push(`Question: ${p.question}\nProcess: ${wrong.map((s) => `${s}${PRM_TOKEN}\n\n`).join('')}`);
  }
  out.push(
    '',
    ' ',
    '\n\n',
    `${IMAGE_TOKEN}${IMAGE_TOKEN}${PRM_TOKEN}${PRM_YES}${PRM_NO}`,
    `${BOS_TOKEN}x${EOS_TOKEN}${PAD_TOKEN}`,
    'Yes, No. Yesterday? Now!',
    "Lily's (3) pens; 7 / 7 = 1",
  );
  return out;
}

/**
 * Text with characters outside DEMO_VOCAB: with no unknown token, the library drops them (the
 * app rejects such text before it gets here; the Python tokenizer must drop them the same way).
 */
const OUT_OF_VOCAB_TEXTS = ['a\u00e9b', 'x\ty', 'a\u{1F600}b', '<image <prm> </s <s>>', '50% & $3'];

async function verify(dir: string, texts: readonly string[]): Promise<void> {
  const tok = new Tokenizer(
    JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  SPECIAL_TOKENS.forEach((t, id) => {
    const ids = tok.encode(t, { add_special_tokens: false }).ids;
    if (ids.length !== 1 || ids[0] !== id) throw new Error(`special token ${JSON.stringify(t)} encodes to [${ids}], expected [${id}]`);
  });
  [...DEMO_VOCAB].forEach((ch, i) => {
    const ids = tok.encode(ch, { add_special_tokens: false }).ids;
    if (ids.length !== 1 || ids[0] !== SPECIAL_TOKENS.length + i) throw new Error(`character ${JSON.stringify(ch)} encodes to [${ids}]`);
  });
  const withBos = tok.encode('S:\n').ids;
  if (withBos[0] !== SPECIAL_TOKENS.indexOf(BOS_TOKEN) || withBos.length !== 4) throw new Error(`BOS not prepended: [${withBos}]`);
  let tokens = 0;
  for (const text of texts) {
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    tokens += ids.length;
    // decode() rejects an empty id list; the empty text must simply give no ids
    const back = ids.length === 0 ? '' : tok.decode(ids, { skip_special_tokens: false });
    if (back !== text) throw new Error(`round trip failed:\n${JSON.stringify(text)}\n${JSON.stringify(back)}`);
  }
  console.log(
    `verified with @huggingface/tokenizers: ${SPECIAL_TOKENS.length} special tokens single, ${DEMO_VOCAB.length} characters, ` +
      `${texts.length} texts (${tokens} tokens) round-trip`,
  );
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' }, fixture: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out) fail('--out is required');
  const { tokenizer, config, specialMap } = tokenizerFiles();
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, 'tokenizer.json'), JSON.stringify(tokenizer, null, 2) + '\n');
  await writeFile(join(values.out, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  await writeFile(join(values.out, 'special_tokens_map.json'), JSON.stringify(specialMap, null, 2) + '\n');
  console.log(`wrote tokenizer.json, tokenizer_config.json, special_tokens_map.json to ${values.out}`);
  const texts = sampleTexts(2000);
  await verify(values.out, texts);

  if (values.fixture) {
    const tok = new Tokenizer(tokenizer, config);
    // Every 7th text keeps the fixture small; encode() adds the BOS as a model input would have it.
    const picked = [...texts.filter((_, i) => i % 7 === 0 || i >= texts.length - 8), ...OUT_OF_VOCAB_TEXTS];
    const cases = picked.map((text) => ({ text, ids: tok.encode(text).ids }));
    await writeFile(values.fixture, JSON.stringify({ tokenizer: 'tokenizer.json', addsBos: true, cases }) + '\n');
    console.log(`wrote ${cases.length} encoded strings to ${values.fixture}`);
  }
}

await main();
