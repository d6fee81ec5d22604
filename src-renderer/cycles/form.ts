// The cycle launch form: the fields a researcher changes most, each a path into the one config object that
// the JSON editor shows whole. The schema is src-shared's CycleConfig, the one the core checks a run with.
import { CycleConfig } from '../../src-shared/cycles';
import type { Dataset, ModelRecord } from '../../src-shared/domain';
import { getField, type Config, type FieldChoice } from '../jobs/form';
import { formatZodIssue } from '../../src-shared/zodMessage';
import { modelLabel } from '../../src-shared/modelLabel';

/** The schema the cycle config editor validates against (as LAUNCH_SCHEMAS does for the job kinds). */
export const CYCLE_LAUNCH_SCHEMA = CycleConfig;

/** A small run on the demo workspace: a minute or two on a laptop CPU. */
export const CYCLE_TEMPLATE: Config = {
  dataset: 'demo',
  policy: 'tiny-policy',
  orm: 'tiny-orm',
  cycles: 2,
  trainSplit: 'train',
  evalSplit: 'test',
  infer: { problems: 32, samples: 4 },
  reflect: { enabled: true, maxPerProblem: 1 },
  regenerate: { tries: 2 },
  finetune: { epochs: 2, maxSteps: 20 },
  evaluate: { problems: 32, samples: 4 },
};

export interface CycleField {
  path: string[];
  label: string;
  kind: 'select' | 'number' | 'checkbox' | 'text';
  choices?: FieldChoice[];
  /** '' in the input means null (the schema's "all" / "none") */
  nullable?: boolean;
  /** '' in the input removes the key (the schema's default) */
  optional?: boolean;
  /** the schema's default, shown when the key is not set */
  defaultValue?: string | boolean;
  min?: number;
  /** placeholder / what empty means */
  help?: string;
}

export interface CycleFormContext {
  datasets: Dataset[];
  models: ModelRecord[];
}

const modelChoices = (ctx: CycleFormContext, role: string): FieldChoice[] =>
  ctx.models.filter((m) => m.role === role).map((m) => ({ value: m.name, label: modelLabel(m) }));

function splitChoices(ctx: CycleFormContext, config: Config): FieldChoice[] {
  const d = ctx.datasets.find((x) => x.name === config.dataset);
  return Object.keys(d?.splits ?? {})
    .sort()
    .map((s) => ({ value: s, label: `${s} (${d!.splits[s].toLocaleString()})` }));
}

export function cycleFields(config: Config, ctx: CycleFormContext): CycleField[] {
  const splits = splitChoices(ctx, config);
  return [
    { path: ['dataset'], label: 'Dataset', kind: 'select', choices: ctx.datasets.map((d) => ({ value: d.name, label: `${d.name} (${d.problemCount.toLocaleString()} problems)` })) },
    { path: ['policy'], label: 'Policy (stage 0)', kind: 'select', choices: modelChoices(ctx, 'policy') },
    { path: ['orm'], label: 'ORM (diagnoses wrong paths)', kind: 'select', nullable: true, choices: [{ value: '', label: 'none' }, ...modelChoices(ctx, 'orm')] },
    { path: ['cycles'], label: 'Cycles', kind: 'number', min: 1 },
    { path: ['trainSplit'], label: 'Train split', kind: 'select', defaultValue: 'train', choices: splits },
    { path: ['evalSplit'], label: 'Held-out eval split', kind: 'select', defaultValue: 'test', choices: splits },
    { path: ['reflect', 'enabled'], label: 'Reflection (ORM diagnosis + regeneration)', kind: 'checkbox', defaultValue: true },
    { path: ['infer', 'samples'], label: 'Samples per problem (k)', kind: 'number', min: 1, defaultValue: '4' },
    { path: ['infer', 'problems'], label: 'Problems per cycle', kind: 'number', min: 1, nullable: true, defaultValue: '400', help: 'empty: all of the split' },
    { path: ['regenerate', 'tries'], label: 'Regenerations per diagnosed path', kind: 'number', min: 1, defaultValue: '2' },
    { path: ['finetune', 'epochs'], label: 'Fine-tune epochs', kind: 'number', min: 1, defaultValue: '2' },
    { path: ['finetune', 'maxSteps'], label: 'Fine-tune steps (at most)', kind: 'number', min: 1, nullable: true, help: 'empty: the epochs decide' },
    { path: ['evaluate', 'problems'], label: 'Eval problems', kind: 'number', min: 1, nullable: true, help: 'empty: all of the split' },
    { path: ['evaluate', 'samples'], label: 'Eval samples (pass@k)', kind: 'number', min: 1, defaultValue: '4' },
    { path: ['name'], label: 'Run name', kind: 'text', optional: true, help: 'default: <dataset>-<policy>-<n>' },
  ];
}

/** What an input shows for a field of the config. */
export function fieldText(field: CycleField, config: Config): string {
  const v = getField(config, field.path);
  if (v === undefined) return typeof field.defaultValue === 'string' ? field.defaultValue : '';
  if (v === null) return '';
  return String(v);
}

export function fieldChecked(field: CycleField, config: Config): boolean {
  const v = getField(config, field.path);
  return typeof v === 'boolean' ? v : field.defaultValue === true;
}

/** An input's text as the field's value: numbers parsed (text that is no number is kept, for the schema to name), '' as null or absent. */
export function cycleFieldValue(field: CycleField, text: string): unknown {
  if (text === '') return field.nullable ? null : undefined;
  if (field.kind === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** The first problem of a config against the schema, as one line ("orm: an ORM is required …"), or null. */
export function firstIssue(config: Config): string | null {
  const r = CYCLE_LAUNCH_SCHEMA.safeParse(config);
  if (r.success) return null;
  return formatZodIssue(r.error.issues[0]);
}
