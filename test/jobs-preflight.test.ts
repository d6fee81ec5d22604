// The pre-flight refuses, before any job is made, a trainer job whose reference trainer would find no
// PyTorch (with the install command in the one line), asks the Python once, and leaves a job with its own
// trainer command alone. The probe is real: the PATH python3 on these machines has no torch.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkReferenceTrainer, preflight, probeTorch, TORCH_INSTALL } from '../src-main/core/jobs/preflight';
import { registerModel } from '../src-main/core/models/registry';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';

const ROOT = join(import.meta.dirname, '..');
let wb: Workbench;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  tmp = tempDir('steplab-preflight-');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  const policy = await registerModel(wb.store, join(ROOT, 'models', 'tiny-policy'));
  const { id: problemId } = wb.store.problems.upsert({ question: 'q', answer: '1', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} });
  wb.store.annotations.insertMany([{ problemId, setName: 'set-a', provenance: { model: `${policy.name}@${policy.version}` }, steps: [{ text: 's', softLabel: 1 }] }]);
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

describe('PyTorch pre-flight', () => {
  const missing = vi.fn(() => ({ ok: false, detail: "ModuleNotFoundError: No module named 'torch'" }));
  const present = vi.fn(() => ({ ok: true, detail: '' }));

  it('refuses the reference trainer without torch, in one line with the install command', () => {
    expect(() => checkReferenceTrainer(null, missing)).toThrow(
      `PyTorch is not installed for /usr/bin/python3, which runs the reference trainer (ModuleNotFoundError: No module named 'torch'): install it with \`${TORCH_INSTALL}\`, or set a trainer command of your own`,
    );
    expect(missing).toHaveBeenCalledWith('/usr/bin/python3');
    expect(() => checkReferenceTrainer(undefined, present)).not.toThrow();
  });

  it('leaves a job with its own trainer command alone', () => {
    const probe = vi.fn(() => ({ ok: false, detail: 'x' }));
    expect(() => checkReferenceTrainer(['/opt/my-trainer', '--gpu'], probe)).not.toThrow();
    expect(probe).not.toHaveBeenCalled();
  });

  it('runs for train-prm and cycle requests before anything is made', () => {
    const jobs = wb.store.jobs.list().length;
    expect(() => preflight(wb.store, { kind: 'train-prm', config: { annotations: 'set-a', labels: 'soft', seed: 0, dedupe: true } }, missing)).toThrow(/^PyTorch is not installed/);
    expect(() => preflight(wb.store, { kind: 'train-prm', config: { annotations: 'set-a', labels: 'soft', seed: 0, dedupe: true, trainer: ['/bin/true'] } }, missing)).not.toThrow();
    expect(() => preflight(wb.store, { kind: 'train-prm', config: { annotations: 'set-a', labels: 'soft', seed: 0, dedupe: true } }, present)).not.toThrow();
    // a request that fails an earlier check says that first (the set is unknown)
    expect(() => preflight(wb.store, { kind: 'train-prm', config: { annotations: 'nope', labels: 'soft', seed: 0, dedupe: true } }, missing)).toThrow(/annotation set "nope" not found/);
    expect(wb.store.jobs.list().length).toBe(jobs);
  });

  it('asks a real Python: one without torch is named with its error', () => {
    const r = probeTorch('python3');
    // these machines' PATH python3 has no torch (DESIGN.md); Debian's /usr/bin/python3 has it
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/No module named 'torch'/);
    expect(probeTorch('/no/such/python').ok).toBe(false);
  });
});
