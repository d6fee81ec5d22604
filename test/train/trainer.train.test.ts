// The reference trainer speaks the trainer protocol: JSON lines on stdout, a complete model folder that
// Steplab can load, a clear error for bad input, and SIGTERM leaving no output behind.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src-main/core/inference/model';
import { ROOT, MODEL_DIR } from '../helpers/parity';
import { tempDir } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp?.cleanup());

interface Run {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
}

function trainer(config: object, onEvent?: (e: Record<string, unknown>, kill: () => void) => void): Promise<Run> {
  const cfg = join(tmp.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfg, JSON.stringify(config));
  const child = spawn('/usr/bin/python3', ['models/recipes/trainer.py', '--config', cfg], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as Record<string, unknown>; // every stdout line must be JSON
      events.push(e);
      onEvent?.(e, () => child.kill('SIGTERM'));
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, events, stderr })));
}

function sftFile(n: number): string {
  const rows = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { question: string; image?: string; reference_steps: { text: string }[]; split: string; answer: string })
    .filter((r) => r.split === 'train')
    .slice(0, n);
  const file = join(tmp.dir, 'sft.jsonl');
  writeFileSync(
    file,
    rows
      .map((r) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: r.question },
            { role: 'assistant', content: r.reference_steps.map((s) => s.text + '\n').join('') },
          ],
          images: r.image ? [join(ROOT, 'models', 'demo-data', r.image)] : [],
        }),
      )
      .join('\n') + '\n',
  );
  return file;
}

describe('reference trainer (sft)', () => {
  it('fine-tunes a few steps and writes a model folder Steplab loads', async () => {
    const out = join(tmp.dir, 'policy-c1');
    const r = await trainer({ task: 'sft', base_model: MODEL_DIR, train_file: sftFile(64), output_dir: out, hyperparameters: { lr: 1e-4, epochs: 1, batch_size: 8, seed: 0, max_steps: 4 }, name: 'policy-c1', cycle: 1 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const progress = r.events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.every((e) => typeof e.loss === 'number' && Number.isFinite(e.loss as number))).toBe(true);
    expect(r.events.at(-1)).toEqual({ event: 'done', model: out });
    const m = await loadModel(out);
    expect(m.manifest).toMatchObject({ name: 'policy-c1', role: 'policy', provenance: { parent: expect.any(String), cycle: 1 } });
    await m.release();
  });

  it('answers a bad config with an error event and exit 2', async () => {
    const r = await trainer({ task: 'prm', base_model: MODEL_DIR, train_file: sftFile(4), output_dir: join(tmp.dir, 'never') });
    expect(r.code).toBe(2);
    expect(r.events.at(-1)).toMatchObject({ event: 'error', message: expect.stringMatching(/prm/) });
    expect(existsSync(join(tmp.dir, 'never'))).toBe(false);
  });

  it('SIGTERM cancels it and leaves no output folder', async () => {
    const out = join(tmp.dir, 'cancelled');
    const r = await trainer({ task: 'sft', base_model: MODEL_DIR, train_file: sftFile(400), output_dir: out, hyperparameters: { lr: 1e-4, epochs: 50, batch_size: 8, seed: 0 } }, (e, kill) => {
      if (e.event === 'progress') kill();
    });
    expect(r.code).not.toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(r.events.some((e) => e.event === 'done')).toBe(false);
  });
});
