#!/usr/bin/env node
// A scripted trainer for orchestration tests: it speaks the trainer protocol (`--config file.json`, JSON
// lines on stdout, exit codes) but "trains" by copying the base model folder to output_dir with the new
// name and cycle in its manifest. With STEPLAB_FAKE_TRAINER_FAIL_UNLESS=<file>, it fails (exit 1, a
// message on stderr) until that file exists: a trainer crash whose cause can be fixed.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const i = process.argv.indexOf('--config');
const cfg = JSON.parse(readFileSync(process.argv[i + 1], 'utf8'));
const gate = process.env.STEPLAB_FAKE_TRAINER_FAIL_UNLESS;
if (gate && !existsSync(gate)) {
  process.stderr.write('Traceback (most recent call last):\n  File "train.py", line 12\nRuntimeError: CUDA out of memory (scripted)\n');
  process.exit(1);
}
const rows = readFileSync(cfg.train_file, 'utf8').split('\n').filter(Boolean).length;
emit({ event: 'log', message: `copy-trainer: ${rows} rows` });
emit({ event: 'progress', step: 1, total: 1, loss: 0.5 });
cpSync(cfg.base_model, cfg.output_dir, { recursive: true });
const mf = join(cfg.output_dir, 'manifest.json');
const m = JSON.parse(readFileSync(mf, 'utf8'));
writeFileSync(mf, JSON.stringify({ ...m, name: cfg.name ?? m.name, provenance: { ...(m.provenance ?? {}), parent: m.name, cycle: cfg.cycle ?? null } }));
emit({ event: 'done', model: cfg.output_dir });
