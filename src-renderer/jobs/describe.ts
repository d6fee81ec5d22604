// What a job row says about its job, from its kind, config and result: a title with the key settings
// (algorithm, dataset and split, model, PRM, N, set), the outcome once it has one (the result's summary,
// so a finished job never shows a stale progress message), and where its results are (a route).
import type { Job } from '../../src-shared/domain';
import type { Route } from '../store/route';

type Rec = Record<string, unknown>;
const obj = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pct = (v: unknown): string | null => (num(v) === null ? null : `${(100 * num(v)!).toFixed(1)}%`);
const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString()} ${n === 1 ? one : many}`;

const KIND_TITLE: Record<string, string> = {
  import: 'Import',
  generate: 'Generate',
  search: 'Search',
  score: 'Score',
  bon: 'Best-of-N',
  'train-prm': 'Train PRM',
  cycle: 'Cycle run',
  'bench-prm': 'Benchmark PRM',
  'import-labels': 'Import labels',
};

const HEADLINE: Record<string, string> = { f1: 'F1', macro_f1: 'macro F1', prm_score: 'PRMScore' };

const ALGO: Record<string, string> = { omega: 'OmegaPRM', mc: 'Math-Shepherd MC' };

function where(c: Rec): string | null {
  const d = str(c.dataset);
  if (!d) return null;
  return str(c.split) ? `${d}/${str(c.split)}` : d;
}

/** The job's kind as a title, and its key settings, each a short phrase. */
export function describeJob(job: Job): { title: string; settings: string[] } {
  const c = obj(job.config);
  const s: (string | null)[] = [];
  switch (job.kind) {
    case 'import':
      s.push(str(c.path) ? `${str(c.path)!.split(/[\\/]/).pop()} → ${str(c.dataset) ?? '?'}` : str(c.dataset));
      break;
    case 'generate':
      s.push(where(c), str(c.model), num(c.n) !== null ? `n=${num(c.n)}` : null, num(c.limit) !== null ? `≤ ${plural(num(c.limit)!, 'problem')}` : null, `seed ${num(c.seed) ?? 0}`);
      break;
    case 'search':
      s.push(ALGO[str(c.algo) ?? ''] ?? str(c.algo), where(c), str(c.model), num(c.limit) !== null ? `≤ ${plural(num(c.limit)!, 'problem')}` : null, `seed ${num(c.seed) ?? 0}`);
      break;
    case 'score': {
      const searches = Array.isArray(c.searches) ? c.searches.length : 0;
      s.push(str(c.prm), searches ? `${plural(searches, 'search', 'searches')}` : where(c) ? `${where(c)} solutions` : null);
      break;
    }
    case 'bon':
      s.push(where(c), str(c.selectOn) ? `rule chosen on ${str(c.selectOn)}` : null, [str(c.policy), str(c.prm)].filter(Boolean).join(' + ') || null, num(c.n) !== null ? `N=${num(c.n)}` : null);
      break;
    case 'train-prm':
      s.push(str(c.annotations) ? `set ${str(c.annotations)}` : null, str(c.base) ? `from ${str(c.base)}` : null, str(c.name) ? `→ ${str(c.name)}` : null, str(c.labels) ? `${str(c.labels)} labels` : null, c.calculator === true ? 'with a calculator' : null);
      break;
    case 'cycle':
      s.push(str(c.dataset), [str(c.policy), str(c.orm)].filter(Boolean).join(' + ') || null, num(c.cycles) !== null ? plural(num(c.cycles)!, 'cycle') : null);
      break;
    case 'bench-prm': {
      const scores = obj(c.scores);
      const rule = c.sweep === true ? 'threshold: oracle sweep' : str(c.sweepOn) ? `threshold chosen on ${str(c.sweepOn)}` : `threshold ${num(c.threshold) ?? 0.5}`;
      s.push(where(c), str(c.prm) ?? (str(scores.file) ? `scores ${str(scores.file)}` : null), rule);
      break;
    }
    case 'import-labels':
      s.push(str(c.path) ? `${str(c.path)!.split(/[\\/]/).pop()} → ${str(c.dataset) ?? 'the workspace'}` : null, str(c.format) ?? 'format detected', str(c.setName) ? `set ${str(c.setName)}` : null);
      break;
    default:
      s.push(where(c));
  }
  return { title: KIND_TITLE[job.kind] ?? job.kind, settings: s.filter((x): x is string => Boolean(x)) };
}

/** What a finished job produced, from its result (null while it runs, or when the result says nothing readable). */
export function jobOutcome(job: Job): string | null {
  if (job.state !== 'done') return null;
  const r = obj(job.result);
  switch (job.kind) {
    case 'import':
      if (num(r.imported) === null) return null;
      return `imported ${plural(num(r.imported)!, 'problem')} and ${plural(num(r.images) ?? 0, 'image')}; ${(num(r.unchanged) ?? 0).toLocaleString()} unchanged, ${(num(r.skipped) ?? 0).toLocaleString()} skipped`;
    case 'generate':
      if (num(r.samples) === null) return null;
      return `${plural(num(r.samples)!, 'solution')} for ${plural(num(r.problems) ?? 0, 'problem')}: ${pct(r.accuracy)} correct, pass@k ${pct(r.pass_at_k)}`;
    case 'search':
      if (num(r.problems) === null) return null;
      return `${plural(num(r.problems)!, 'problem')} searched: ${plural(num(r.nodes) ?? 0, 'node')}, ${plural(num(r.labelledSteps) ?? 0, 'labelled step')}${str(r.annotationSet) ? ` (set ${str(r.annotationSet)})` : ''}`;
    case 'score': {
      const nodes = num(r.nodes) ?? 0;
      const sols = num(r.solutions) ?? 0;
      return `${str(r.prm) ?? 'the PRM'} scored ${nodes ? plural(nodes, 'node') : plural(sols, 'solution')}${num(r.mean_score) !== null ? `, mean ${num(r.mean_score)!.toFixed(3)}` : ''}`;
    }
    case 'bon': {
      const acc = obj(r.accuracy);
      const chosen = str(r.chosen);
      return `evaluation #${num(r.evaluation) ?? '?'} · ${plural(num(r.problems) ?? 0, 'problem')} × N=${num(r.n) ?? '?'}${chosen ? ` · chosen ${chosen.replace(/^prm_/, 'PRM ').replace(/_/g, ' ')} ${pct(acc[chosen]) ?? ''}` : ''} · greedy ${pct(acc.greedy) ?? '–'} · pass@N ${pct(acc.pass_at_n) ?? '–'}`;
    }
    case 'bench-prm': {
      const h = obj(r.headline);
      const ci = obj(h.ci);
      if (num(r.evaluation) === null) return null;
      return `evaluation #${num(r.evaluation)} · ${plural(num(r.rows) ?? 0, 'row')} · ${HEADLINE[str(h.name) ?? ''] ?? 'headline'} ${pct(h.value) ?? '–'}${num(ci.low) !== null && num(ci.high) !== null ? ` [${pct(ci.low)}, ${pct(ci.high)}]` : ''} at threshold ${num(r.threshold) ?? '?'}`;
    }
    case 'import-labels':
      if (num(r.annotations) === null) return null;
      return `${str(r.format) ?? 'labels'}: ${plural(num(r.searches) ?? 0, 'tree')}, ${plural(num(r.annotations)!, 'annotation')} (${plural(num(r.labelledSteps) ?? 0, 'labelled step')}) in set ${str(r.annotationSet) ?? '?'}; ${plural(num(r.problems) ?? 0, 'problem')} added, ${(num(r.skipped) ?? 0).toLocaleString()} skipped`;
    case 'train-prm':
      return str(r.model) ? `registered ${str(r.model)} (${plural(num(r.rows) ?? 0, 'training row')}, ${plural(num(r.steps) ?? 0, 'step')}${num(r.finalLoss) !== null ? `, final loss ${num(r.finalLoss)!.toFixed(3)}` : ''})` : null;
    default:
      return null;
  }
}

/** Where a job's results are shown, and what the link says; null when there is nothing to open yet. */
export function jobLink(job: Job, ctx: { cycleRunOf(jobId: number): number | undefined }): { label: string; route: Route } | null {
  const c = obj(job.config);
  const r = obj(job.result);
  switch (job.kind) {
    case 'import':
      return job.state === 'done' && str(c.dataset) ? { label: `Problems of ${str(c.dataset)}`, route: { view: 'problems', dataset: str(c.dataset) } } : null;
    case 'generate':
      return job.state === 'done' && str(c.dataset) ? { label: 'Dataset heatmap', route: { view: 'problems', dataset: str(c.dataset), focus: { kind: 'heatmap' } } } : null;
    case 'search': {
      const ids = Array.isArray(r.searchIds) ? (r.searchIds as unknown[]).filter((x): x is number => typeof x === 'number') : [];
      return ids.length ? { label: `Open its ${plural(ids.length, 'search', 'searches')}`, route: { view: 'searches', dataset: null, search: ids[0] } } : null;
    }
    case 'score': {
      const searches = Array.isArray(c.searches) ? (c.searches as unknown[]).filter((x): x is number => typeof x === 'number') : [];
      if (job.state !== 'done') return null;
      if (searches.length) return { label: 'Open the scored trees', route: { view: 'searches', dataset: null, search: searches[0] } };
      return str(c.dataset) ? { label: 'Dataset heatmap', route: { view: 'problems', dataset: str(c.dataset), focus: { kind: 'heatmap' } } } : null;
    }
    case 'bench-prm':
    case 'bon':
      return num(r.evaluation) !== null ? { label: `Evaluation #${num(r.evaluation)}`, route: { view: 'evaluations', dataset: null, evaluationId: num(r.evaluation)! } } : null;
    case 'import-labels':
      return job.state === 'done' && str(c.dataset) ? { label: `Problems of ${str(c.dataset)}`, route: { view: 'problems', dataset: str(c.dataset) } } : null;
    case 'train-prm':
      return job.state === 'done' ? { label: 'Models', route: { view: 'models', dataset: null } } : null;
    case 'cycle': {
      const run = ctx.cycleRunOf(job.id);
      return run !== undefined ? { label: `Cycle run #${run}`, route: { view: 'cycles', dataset: null, cycleRun: run } } : null;
    }
    default:
      return null;
  }
}

/** The state a row shows: a running job whose cancel was asked for is cancelling until its worker stops. */
export function shownState(job: Job, cancelAsked: boolean): string {
  if ((job.state === 'running' || job.state === 'queued') && (cancelAsked || job.cancelRequested)) return 'cancelling';
  return job.state;
}
