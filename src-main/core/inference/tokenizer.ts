// Tokenizers come from tokenizer.json through @huggingface/tokenizers (never a hand-written BPE).
import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';

export interface TextTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  /** ids 0..size-1 covers every token, added ones included */
  readonly size: number;
}

export function loadTokenizer(tokenizerFile: string, configFile?: string): TextTokenizer {
  let json: unknown;
  let config: unknown = {};
  try {
    json = JSON.parse(readFileSync(tokenizerFile, 'utf8'));
  } catch (e) {
    throw new UserError(`${tokenizerFile}: not a readable tokenizer.json (${(e as Error).message})`);
  }
  if (configFile) {
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch {
      config = {};
    }
  }
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json as object, config as object);
  } catch (e) {
    throw new UserError(`${tokenizerFile}: the tokenizer library cannot load it (${(e as Error).message})`);
  }
  const vocab = tok.get_vocab(true);
  let size = 0;
  for (const id of vocab.values()) size = Math.max(size, id + 1);
  return {
    encode: (text, opts) => tok.encode(text, { add_special_tokens: opts?.addSpecialTokens ?? true }).ids,
    decode: (ids, opts) => tok.decode([...ids], { skip_special_tokens: opts?.skipSpecialTokens ?? false }),
    tokenToId: (t) => tok.token_to_id(t),
    size,
  };
}
