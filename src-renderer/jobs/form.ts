// The launch form's fields for each job kind, and the edits they make to the config object. The config
// object is the one truth: the form reads and writes fields of it, the JSON editor shows all of it.
import type { Dataset, ModelRecord } from '../../src-shared/domain';
import { DEMO_SCALE } from '../../src-shared/jobConfigs';

export type LaunchKind = 'search' | 'bon';
export type Config = Record<string, unknown>;

export interface FieldChoice {
  value: string;
  label: string;
}

export interface FormField {
  /** the field's path in the config: ['config', 'rolloutBudget'] is config.config.rolloutBudget */
  path: string[];
  label: string;
  kind: 'select' | 'number';
  /** for selects; '' means "not set" (the key is removed) when `optional` */
  choices?: FieldChoice[];
  optional?: boolean;
  /** what the core uses when the field is not set (shown instead of an empty choice) */
  defaultValue?: string;
  min?: number;
  help?: string;
}

export interface FormContext {
  datasets: Dataset[];
  models: ModelRecord[];
}

/** Small runs on the demo workspace, the starting point of each kind. */
export const TEMPLATES: Record<LaunchKind, Config> = {
  search: {
    dataset: 'demo',
    split: 'train',
    model: 'tiny-policy',
    algo: 'omega',
    limit: 5,
    seed: 0,
    annotationMode: 'mmprm',
    config: { ...DEMO_SCALE.omega },
  },
  bon: { dataset: 'demo', split: 'test', selectOn: 'val', policy: 'tiny-policy', prm: 'tiny-prm', n: 4, limit: 20, seed: 0 },
};

/** The algorithm settings a search starts from when its algorithm changes (the demo scale). */
export const ALGO_DEFAULTS: Record<string, Config> = DEMO_SCALE;

const modelChoices = (ctx: FormContext, role: string): FieldChoice[] =>
  ctx.models.filter((m) => m.role === role).map((m) => ({ value: m.name, label: `${m.name}@${m.version}` }));

function splitChoices(ctx: FormContext, config: Config, noneLabel: string): FieldChoice[] {
  const d = ctx.datasets.find((x) => x.name === config.dataset);
  return [{ value: '', label: noneLabel }, ...Object.keys(d?.splits ?? {}).sort().map((s) => ({ value: s, label: `${s} (${d!.splits[s].toLocaleString()})` }))];
}

export function formFields(kind: LaunchKind, config: Config, ctx: FormContext): FormField[] {
  const datasets = { path: ['dataset'], label: 'Dataset', kind: 'select' as const, choices: ctx.datasets.map((d) => ({ value: d.name, label: `${d.name} (${d.problemCount.toLocaleString()} problems)` })) };
  const common = [
    { path: ['limit'], label: 'Problems (at most)', kind: 'number' as const, optional: true, min: 1, help: 'empty: all of the split' },
    { path: ['seed'], label: 'Seed', kind: 'number' as const },
  ];
  if (kind === 'bon') {
    return [
      datasets,
      { path: ['split'], label: 'Evaluate on split', kind: 'select', choices: splitChoices(ctx, config, 'choose a split').slice(1) },
      { path: ['selectOn'], label: 'Choose the rule on split', kind: 'select', optional: true, choices: splitChoices(ctx, config, 'none (report every rule)') },
      { path: ['policy'], label: 'Policy', kind: 'select', choices: modelChoices(ctx, 'policy') },
      { path: ['prm'], label: 'PRM', kind: 'select', choices: modelChoices(ctx, 'prm') },
      { path: ['n'], label: 'N (candidates per problem)', kind: 'number', min: 1 },
      ...common,
    ];
  }
  const algo = config.algo === 'mc' ? 'mc' : 'omega';
  const algoFields: FormField[] =
    algo === 'omega'
      ? [
          { path: ['config', 'maxSearchCount'], label: 'Selections (max search count)', kind: 'number', min: 1 },
          { path: ['config', 'rolloutBudget'], label: 'Rollout budget', kind: 'number', min: 1 },
          { path: ['config', 'rolloutsPerState'], label: 'Rollouts per state (k)', kind: 'number', min: 1 },
        ]
      : [
          { path: ['config', 'samplesPerSolution'], label: 'Solutions sampled', kind: 'number', min: 1 },
          { path: ['config', 'k'], label: 'Completions per prefix (k)', kind: 'number', min: 1 },
        ];
  return [
    datasets,
    { path: ['split'], label: 'Split', kind: 'select', optional: true, choices: splitChoices(ctx, config, 'all splits') },
    { path: ['model'], label: 'Policy', kind: 'select', choices: modelChoices(ctx, 'policy') },
    {
      path: ['algo'],
      label: 'Algorithm',
      kind: 'select',
      choices: [
        { value: 'omega', label: 'OmegaPRM (MCTS + binary search)' },
        { value: 'mc', label: 'Math-Shepherd (Monte Carlo from every step)' },
      ],
    },
    ...algoFields,
    {
      path: ['annotationMode'],
      label: 'Paths to label',
      kind: 'select',
      defaultValue: 'mmprm',
      choices: [
        { value: 'mmprm', label: "MM-PRM's rules" },
        { value: 'all-paths', label: 'every root-to-node path' },
      ],
    },
    ...common,
  ];
}

export function getField(config: Config, path: string[]): unknown {
  let at: unknown = config;
  for (const key of path) at = at && typeof at === 'object' && !Array.isArray(at) ? (at as Config)[key] : undefined;
  return at;
}

/** The config with one field set (undefined removes it); changing a search's algorithm resets its settings. */
export function setField(config: Config, path: string[], value: unknown): Config {
  const [key, ...rest] = path;
  const next: Config = { ...config };
  if (rest.length === 0) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  } else {
    const inner = next[key] && typeof next[key] === 'object' && !Array.isArray(next[key]) ? (next[key] as Config) : {};
    next[key] = setField(inner, rest, value);
  }
  if (path.length === 1 && key === 'algo' && typeof value === 'string' && value !== config.algo && ALGO_DEFAULTS[value]) next.config = { ...ALGO_DEFAULTS[value] };
  // a split of the dataset before may not exist in the new one
  if (path.length === 1 && key === 'dataset' && value !== config.dataset) {
    delete next.split;
    delete next.selectOn;
  }
  return next;
}

/** A form input's text as the field's value: numbers parsed, '' → undefined for optional fields. */
export function fieldValue(field: FormField, text: string): unknown {
  if (text === '') return field.optional ? undefined : field.kind === 'number' ? undefined : '';
  if (field.kind === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** The JSON text of a config, or why a text is not one. */
export function parseConfigText(text: string): { config: Config } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'the config must be a JSON object' };
  return { config: value as Config };
}
