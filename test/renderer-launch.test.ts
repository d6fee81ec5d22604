// The bench-prm and import-labels launch forms: their fields over the same zod schemas as the CLI
// (src-shared/jobConfigs.ts), each schema issue shown beside its field as the config is edited, a scores
// file read in the page as the CLI reads --scores (same lines, same sha256), the request Start sends
// (jobs.start for bench-prm; import.labels, the CLI's method, for import-labels), the one CLI line shown
// instead of the import-labels form where the door does not serve it, and the job row's outcome and link
// to the results view.
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../src-shared/api';
import { httpRefusal } from '../src-shared/api';
import type { Dataset, Job, ModelRecord } from '../src-shared/domain';
import { describeJob, jobLink, jobOutcome } from '../src-renderer/jobs/describe';
import { cliCommand, fieldIssues, fieldValue, formFields, LOCAL_KINDS, launchSchema, readScoresFile, setField, TEMPLATES, type Config, type FormContext, type FormField } from '../src-renderer/jobs/form';
import { createAppStore } from '../src-renderer/store';

const dataset = (name: string, splits: Record<string, number>): Dataset => ({
  id: 1,
  name,
  version: 1,
  description: null,
  problemCount: Object.values(splits).reduce((a, b) => a + b, 0),
  imageCount: 0,
  splits,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});
const model = (name: string, role: ModelRecord['role']): ModelRecord => ({ id: 1, name, version: 1, role, family: 'steplab-demo', path: `/ws/models/${name}`, manifest: {}, provenance: null, createdAt: '2026-01-01T00:00:00Z' }) as ModelRecord;

const ctx: FormContext = {
  datasets: [dataset('processbench', { gsm8k: 4, math: 3 }), dataset('demo', { train: 10 })],
  models: [model('tiny-policy', 'policy'), model('tiny-prm', 'prm'), model('other-prm', 'prm')],
  labelFormats: [
    { value: 'mmprm-tree', label: 'mmprm-tree' },
    { value: 'math-shepherd', label: 'math-shepherd' },
  ],
};

/** What the form shows for a config: its fields, the issue under each, and the issue beside Start. */
function shown(kind: 'bench-prm' | 'import-labels', config: Config): { fields: FormField[]; errors: Map<string, string>; first: string | null } {
  const fields = formFields(kind, config, ctx);
  const r = launchSchema(kind).safeParse(config);
  return { fields, errors: r.success ? new Map() : fieldIssues(r.error.issues, fields), first: r.success ? null : r.error.issues[0].message };
}
const byLabel = (fields: FormField[], label: string): FormField => {
  const f = fields.find((x) => x.label === label);
  if (!f) throw new Error(`no field "${label}" in ${fields.map((x) => x.label).join(', ')}`);
  return f;
};

describe('the bench-prm form', () => {
  const base: Config = { ...TEMPLATES['bench-prm'], dataset: 'processbench' };

  it('has the dataset, split, PRM or scores file, threshold rule, resamples, seed and name', () => {
    const { fields, errors, first } = shown('bench-prm', base);
    expect(fields.map((f) => f.label)).toEqual([
      'Dataset',
      'Split evaluated',
      'Step scores from',
      'PRM',
      'Threshold',
      'Accept a step when its score is above',
      'Bootstrap resamples (95% interval)',
      'Seed',
      'Name',
    ]);
    expect(byLabel(fields, 'Split evaluated').choices!.map((c) => c.value)).toEqual(['', 'gsm8k', 'math']);
    expect(byLabel(fields, 'PRM').choices!.map((c) => c.value)).toEqual(['tiny-prm', 'other-prm']);
    expect(errors.size).toBe(0);
    expect(first).toBeNull();
  });

  it('checks each field live against the schema and shows the issue beside it', () => {
    const threshold = byLabel(shown('bench-prm', base).fields, 'Accept a step when its score is above');
    const high = shown('bench-prm', setField(base, threshold.path, fieldValue(threshold, '1.5')));
    expect(high.errors.get('threshold')).toMatch(/expected number to be <=1/);
    const noDataset = shown('bench-prm', setField(base, ['dataset'], ''));
    expect(noDataset.errors.get('dataset')).toMatch(/expected string to have >=1 characters/);
    const resamples = shown('bench-prm', setField(base, ['resamples'], -1));
    expect(resamples.errors.get('resamples')).toMatch(/expected number to be >=0/);
  });

  it('switches between a threshold, the oracle sweep and a sweep on another split', () => {
    const rule = (c: Config): FormField => byLabel(formFields('bench-prm', c, ctx), 'Threshold');
    const sweep = rule(base).write!(base, 'sweep');
    expect(sweep).toMatchObject({ sweep: true });
    expect(sweep.threshold).toBeUndefined();
    expect(formFields('bench-prm', sweep, ctx).map((f) => f.label)).not.toContain('Accept a step when its score is above');
    expect(launchSchema('bench-prm').safeParse(sweep).success).toBe(true);
    const withSplit = setField(base, ['split'], 'gsm8k');
    const on = rule(withSplit).write!(withSplit, 'sweepOn');
    expect(on).toMatchObject({ split: 'gsm8k', sweepOn: 'math' });
    expect(byLabel(formFields('bench-prm', on, ctx), 'Choose the threshold on split').choices!.map((c) => c.value)).toEqual(['gsm8k', 'math']);
    // sweeping on the split evaluated is refused by the schema, under the field
    expect(shown('bench-prm', { ...on, sweepOn: 'gsm8k' }).errors.get('sweepOn')).toBe('sweepOn must be another split than the one evaluated');
    // a sweep on another split without the split it is applied to
    const { split: _s, ...noSplit } = on;
    expect(shown('bench-prm', noSplit).errors.get('sweepOn')).toBe('sweepOn needs the split it is applied to');
    // a new dataset's splits are not the old one's
    expect(setField(on, ['dataset'], 'demo')).not.toHaveProperty('sweepOn');
  });

  it('reads a scores file in the page as the CLI reads --scores: the same lines and sha256', async () => {
    const source = (c: Config): FormField => byLabel(formFields('bench-prm', c, ctx), 'Step scores from');
    const fromFile = source(base).write!(base, 'file');
    expect(fromFile).not.toHaveProperty('prm');
    const fields = formFields('bench-prm', fromFile, ctx);
    expect(byLabel(fields, 'Scores file (JSON lines)').kind).toBe('file');
    // neither a PRM nor a file yet: said beside Start (a rule between two fields)
    expect(shown('bench-prm', fromFile).first).toBe('give either a PRM or a scores file, not both');
    const text = '{"id": "gsm8k-0", "scores": [0.9, 0.2]}\n{"id": "gsm8k-1", "scores": [0.8]}\n';
    const scores = await readScoresFile('scores.jsonl', text);
    expect(scores).toEqual({
      file: 'scores.jsonl',
      sha256: createHash('sha256').update(text).digest('hex'),
      form: 'by-id',
      lines: [
        { line: 1, id: 'gsm8k-0', scores: [0.9, 0.2] },
        { line: 2, id: 'gsm8k-1', scores: [0.8] },
      ],
    });
    const withFile = setField(fromFile, ['scores'], scores);
    expect(shown('bench-prm', withFile).first).toBeNull();
    await expect(readScoresFile('bad.jsonl', '[0.5]\n{"id": "x", "scores": [1]}\n')).rejects.toThrow('bad.jsonl line 2: a line with an id after bare arrays (line 1): use one form in a file');
    // back to a PRM: the file is dropped, the first PRM chosen
    expect(source(withFile).write!(withFile, 'prm')).toMatchObject({ prm: 'tiny-prm' });
    expect(source(withFile).write!(withFile, 'prm')).not.toHaveProperty('scores');
  });
});

describe('the import-labels form', () => {
  it('has path, format (detected by default), dataset, split, image root, set, skip-bad and allow-outside, checked live', () => {
    const { fields, errors } = shown('import-labels', TEMPLATES['import-labels']);
    expect(fields.map((f) => f.path.join('.'))).toEqual(['path', 'format', 'dataset', 'split', 'imageRoot', 'setName', 'skipBad', 'allowOutside']);
    // the label formats the core reads, then the step-level benchmarks (test below)
    expect(byLabel(fields, 'Format').choices!.slice(0, 3)).toEqual([{ value: '', label: 'detect from the content' }, ...ctx.labelFormats!]);
    expect(errors.get('path')).toMatch(/expected string to have >=1 characters/);
    // an optional text left empty is absent, not ''
    const dataset = byLabel(fields, 'Dataset (new or existing)');
    expect(setField({ path: '/d/x.json', dataset: 'a' }, dataset.path, fieldValue(dataset, ''))).toEqual({ path: '/d/x.json' });
    const ok = { path: '/data/outputs', dataset: 'mmprm', format: 'mmprm-tree', setName: 'outputs', skipBad: true };
    expect(shown('import-labels', ok).errors.size).toBe(0);
    // a key the CLI has no flag for is refused by the strict schema
    expect(shown('import-labels', { ...ok, label: 'x' }).first).toMatch(/Unrecognized key/);
  });

  it('offers the benchmark formats the CLI --format takes, each checked live against the CLI schema', () => {
    const choices = byLabel(shown('import-labels', TEMPLATES['import-labels']).fields, 'Format').choices!;
    expect(choices.slice(3).map((c) => c.value)).toEqual(['processbench', 'visualprocessbench', 'prmbench']);
    for (const format of ['processbench', 'visualprocessbench', 'prmbench']) {
      const ok = { path: '/data/ProcessBench', dataset: 'pb', format, skipBad: false };
      const { fields, errors } = shown('import-labels', ok);
      expect(errors.size).toBe(0);
      // a benchmark takes no annotation set and no skip-bad: neither field is offered
      expect(fields.map((f) => f.path.join('.'))).toEqual(['path', 'format', 'dataset', 'split', 'imageRoot', 'allowOutside']);
      expect(byLabel(fields, "Split (one file only; a folder's files are each the split of their name)").help).toBe("the file's name");
      // a dataset is needed; a set or skip-bad given anyway is shown with its field and the reason
      expect(shown('import-labels', { path: '/data/pb.json', format, skipBad: false }).errors.get('dataset')).toBe(`a ${format} import needs a dataset to put the benchmark's rows in`);
      const withSet = shown('import-labels', { ...ok, setName: 'x', skipBad: true });
      expect(withSet.errors.get('setName')).toMatch(/^an annotation set does not apply to format /);
      expect(withSet.errors.get('skipBad')).toMatch(/^skip-bad does not apply to format .*: each file is imported whole or not at all$/);
    }
    // the label formats keep their fields and rules
    expect(shown('import-labels', { path: '/d', format: 'mmprm-tree', setName: 'x', skipBad: true }).errors.size).toBe(0);
  });

  it('is a local-only kind: the browser page shows the exact CLI command instead', () => {
    expect(LOCAL_KINDS.has('import-labels')).toBe(true);
    expect(LOCAL_KINDS.has('bench-prm')).toBe(false);
    expect(cliCommand('import-labels', '/home/ada/ws', {})).toBe('steplab import-labels <path> --workspace /home/ada/ws --dataset <dataset>');
    expect(cliCommand('import-labels', '/home/ada/my ws', { path: '/data/outputs', dataset: 'mmprm', format: 'mmprm-tree', imageRoot: '/data/img', setName: "ada's", skipBad: true })).toBe(
      "steplab import-labels /data/outputs --workspace '/home/ada/my ws' --dataset mmprm --format mmprm-tree --image-root /data/img --set 'ada'\\''s' --skip-bad",
    );
    // the headless host refuses it whichever way it is asked for
    expect(httpRefusal('import.labels', {})).toBe('import.labels is served to the command line and the desktop app only: it reads or writes files on this machine');
    for (const [method, params] of [
      ['jobs.start', { kind: 'import-labels', config: {} }],
      ['jobs.check', { kind: 'import-labels', config: {} }],
      ['jobs.startOrResume', { request: { kind: 'import-labels' } }],
    ] as const) {
      expect(httpRefusal(method, params)).toBe(`${method} of an import-labels job is served to the command line and the desktop app only: it reads files on this machine`);
    }
    expect(httpRefusal('jobs.start', { kind: 'bench-prm', config: {} })).toBeNull();
  });
});

const job = (kind: string, config: unknown, extra: Partial<Job> = {}): Job => ({
  id: 9,
  kind,
  config,
  state: 'queued',
  progress: { done: 0, total: null, message: null },
  result: null,
  error: null,
  attempts: 0,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  ...extra,
});

describe('Start', () => {
  it('sends bench-prm through jobs.start and import-labels through import.labels, each with the config as the form holds it', async () => {
    const calls: [string, unknown][] = [];
    const api = {
      'jobs.start': vi.fn(async (req: { kind: string; config: unknown }) => {
        calls.push(['jobs.start', req]);
        return job(req.kind, req.config);
      }),
      'import.labels': vi.fn(async (config: unknown) => {
        calls.push(['import.labels', config]);
        return { ...job('import-labels', config, { id: 10 }), resumed: false };
      }),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'jobs', dataset: null });
    const bench = { dataset: 'processbench', split: 'gsm8k', prm: 'tiny-prm', sweepOn: 'math', resamples: 200, seed: 1 };
    expect(launchSchema('bench-prm').safeParse(bench).success).toBe(true);
    await store.getState().startJob('bench-prm', bench);
    const labels = { path: '/data/outputs', dataset: 'mmprm', format: 'mmprm-tree', skipBad: true };
    await store.getState().startJob('import-labels', labels);
    expect(calls).toEqual([
      ['jobs.start', { kind: 'bench-prm', config: bench }],
      ['import.labels', labels],
    ]);
    // both jobs are in the list the Jobs view draws
    expect(store.getState().jobs.map((j) => j.kind)).toEqual(['import-labels', 'bench-prm']);
  });
});

describe('Start with a benchmark format', () => {
  it('imports the file or folder through benchmarks.importPath (no job), then lists the datasets again', async () => {
    const calls: [string, unknown][] = [];
    const report = { format: 'processbench', dataset: 'pb', file: 'gsm8k.json', split: 'gsm8k', rows: 4, added: 4, present: 0, duplicates: 0, problems: { created: 4, existing: 0 }, images: 0 };
    const api = {
      'benchmarks.importPath': vi.fn(async (config: unknown) => {
        calls.push(['benchmarks.importPath', config]);
        return { files: [report] };
      }),
      'datasets.list': vi.fn(async (q: unknown) => {
        calls.push(['datasets.list', q]);
        return { total: 1, items: [dataset('pb', { gsm8k: 4 })] };
      }),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'jobs', dataset: null });
    const config = { path: '/data/ProcessBench', dataset: 'pb', format: 'processbench', skipBad: false };
    expect(launchSchema('import-labels').safeParse(config).success).toBe(true);
    expect(await store.getState().importBenchmark(config)).toEqual([report]);
    await vi.waitFor(() => expect(store.getState().datasets.map((d) => d.name)).toEqual(['pb']));
    expect(calls[0]).toEqual(['benchmarks.importPath', config]);
    expect(store.getState().jobs).toEqual([]);
    // the headless host refuses it, as it refuses import.labels: it reads files on this machine
    expect(httpRefusal('benchmarks.importPath', config)).toBe('benchmarks.importPath is served to the command line and the desktop app only: it reads or writes files on this machine');
  });
});

describe('the job rows of the two kinds', () => {
  it('say what each job is and, once done, what it produced, with a link to the results view', () => {
    const bench = job('bench-prm', { dataset: 'processbench', split: 'gsm8k', prm: 'tiny-prm', sweepOn: 'math' });
    expect(describeJob(bench)).toEqual({ title: 'Benchmark PRM', settings: ['processbench/gsm8k', 'tiny-prm', 'threshold chosen on math'] });
    expect(describeJob(job('bench-prm', { dataset: 'pb', scores: { file: 's.jsonl' }, sweep: true })).settings).toEqual(['pb', 'scores s.jsonl', 'threshold: oracle sweep']);
    const done = { ...bench, state: 'done' as const, result: { evaluation: 5, rows: 7, threshold: 0.42, headline: { name: 'f1', value: 0.5, ci: { low: 0.25, high: 0.75, resamples: 200, defined: 200 } } } };
    expect(jobOutcome(done)).toBe('evaluation #5 · 7 rows · F1 50.0% [25.0%, 75.0%] at threshold 0.42');
    expect(jobLink(done, { cycleRunOf: () => undefined })).toEqual({ label: 'Evaluation #5', route: { view: 'evaluations', dataset: null, evaluationId: 5 } });
    expect(jobLink(bench, { cycleRunOf: () => undefined })).toBeNull();
    const labels = job('import-labels', { path: '/data/mmprm/outputs', dataset: 'mmprm', format: 'mmprm-tree' }, { state: 'done', result: { format: 'mmprm-tree', searches: 2, annotations: 11, labelledSteps: 31, annotationSet: 'outputs', problems: 2, skipped: 0 } });
    expect(describeJob(labels)).toEqual({ title: 'Import labels', settings: ['outputs → mmprm', 'mmprm-tree'] });
    expect(jobOutcome(labels)).toBe('mmprm-tree: 2 trees, 11 annotations (31 labelled steps) in set outputs; 2 problems added, 0 skipped');
    expect(jobLink(labels, { cycleRunOf: () => undefined })).toEqual({ label: 'Problems of mmprm', route: { view: 'problems', dataset: 'mmprm' } });
  });
});
