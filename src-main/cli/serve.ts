// `steplab serve` and `verify`: the headless host for a browser, and the answer verifier over a JSONL of
// predictions.
import { Command } from 'commander';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AnswerType } from '../../src-shared/domain';
import { parseJsonLine } from '../core/data/jsonl';
import { detachedApi, openLocalDoor } from '../core/door';
import { UserError } from '../core/errors';
import { ensureRenderer, rendererDirFor } from '../server/buildRenderer';
import { startHost } from '../server/host';
import { port, untilStopped, type CliIO } from './common';

export function addServeCommands(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve the workbench over HTTP + WebSocket on 127.0.0.1 (prints the URL with its token)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--port <p>', 'port (default: a free one)', port, 0)
    .option('--json', 'print {"url","port"} as JSON')
    .action(async (o: { workspace: string; port: number; json?: boolean }) => {
      const door = openLocalDoor(o.workspace);
      const { ids: resumed } = await door.api['jobs.resumeAll']({});
      const { path } = await door.api['workspace.info']({});
      // a fresh install has no built web UI yet: build it once (the line goes to stderr, so --json stays one JSON line)
      const rendererDir = rendererDirFor();
      const built = ensureRenderer(rendererDir, (line) => io.err(line));
      if (built.state === 'failed') io.err(`warning: ${built.reason}; the API is served, the page is not`);
      const host = await startHost({ workbench: door.workbench, port: o.port, rendererDir });
      if (o.json) io.out(JSON.stringify({ url: host.url, port: host.port }));
      else {
        io.out(`Steplab is serving ${path}`);
        io.out(`open ${host.url}`);
        if (resumed.length) io.out(`resumed ${resumed.length} interrupted job(s)`);
        io.out('press Ctrl-C to stop');
      }
      await untilStopped();
      await host.close();
      await door.close();
    });

  program
    .command('verify')
    .description('check answers: each line {"answer": gold, "prediction": text, "answer_type"?}')
    .argument('<file>', 'JSONL file')
    .option('--json', 'one JSON object per line, then a summary object')
    .action(async (file: string, o: { json?: boolean }) => {
      if (!existsSync(file)) throw new UserError(`file not found: ${file}`);
      const counts = { total: 0, correct: 0, incorrect: 0, unparseable: 0 };
      let n = 0;
      const api = detachedApi();
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const raw of lines) {
        n++;
        const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (text.trim() === '') continue;
        const row = parseVerifyLine(text, n);
        const r = await api['verify.check'](row);
        counts.total++;
        counts[r.verdict]++;
        if (o.json) io.out(JSON.stringify({ line: n, verdict: r.verdict, extracted: r.extracted }));
        else io.out(`line ${n}: ${r.verdict}${r.extracted === null ? ' (no answer found)' : ` (extracted ${JSON.stringify(r.extracted)})`}`);
      }
      if (o.json) io.out(JSON.stringify(counts));
      else {
        const pct = counts.total ? ((100 * counts.correct) / counts.total).toFixed(1) : '0.0';
        io.out(`${counts.total} lines: ${counts.correct} correct (${pct}%), ${counts.incorrect} incorrect, ${counts.unparseable} unparseable`);
      }
    });
}

/** MathVista's answer types, read as the verifier's: integer and float are numbers, a list's kind is inferred. */
const MATHVISTA_TYPES: Record<string, AnswerType | null> = { integer: 'number', float: 'number', list: null };

function parseVerifyLine(text: string, n: number): { answer: string; prediction: string; answerType?: AnswerType; choices?: string[]; precision?: number; ordered?: boolean } {
  const row = parseJsonLine(text, n);
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UserError(`line ${n}: must be a JSON object`);
  const r = row as Record<string, unknown>;
  const str = (k: string): string => {
    const v = r[k];
    if (v === undefined || v === null) throw new UserError(`line ${n}: field "${k}": required`);
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') throw new UserError(`line ${n}: field "${k}": must be a string`);
    return v;
  };
  const out: ReturnType<typeof parseVerifyLine> = { answer: str('answer'), prediction: str('prediction') };
  if (r.answer_type !== undefined && r.answer_type !== null) {
    const t = AnswerType.safeParse(r.answer_type);
    const mv = typeof r.answer_type === 'string' ? MATHVISTA_TYPES[r.answer_type] : undefined;
    if (t.success) out.answerType = t.data;
    else if (mv) out.answerType = mv;
    else if (mv === undefined) throw new UserError(`line ${n}: field "answer_type": must be one of ${AnswerType.options.join(', ')} (or MathVista's integer, float, list)`);
  }
  if (r.choices !== undefined && r.choices !== null) {
    if (!Array.isArray(r.choices) || !r.choices.every((c) => typeof c === 'string' || typeof c === 'number')) throw new UserError(`line ${n}: field "choices": must be a list of strings`);
    if (r.choices.length > 0) out.choices = r.choices.map(String);
  }
  if (r.precision !== undefined && r.precision !== null) {
    const p = Number(r.precision);
    if (!Number.isInteger(p) || p < 0 || p > 12) throw new UserError(`line ${n}: field "precision": must be a whole number of decimal places (0-12)`);
    out.precision = p;
  }
  if (r.ordered !== undefined) {
    if (typeof r.ordered !== 'boolean') throw new UserError(`line ${n}: field "ordered": must be true or false`);
    out.ordered = r.ordered;
  }
  return out;
}
