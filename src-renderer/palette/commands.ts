// What the command palette offers: every view, each dataset's problems, a problem found by its dataset id,
// recent searches, evaluations and cycle runs, the theme, refresh. Built from the store's state, so it is a plain function to test.
import type { AppState } from '../store';
import { VIEWS, type View } from '../store/route';
import { algorithmLabel, searchTitle } from '../store/searches';
import { THEME_CHOICES } from '../theme';

export interface PaletteCommand {
  id: string;
  group: 'Go to' | 'Problems' | 'Datasets' | 'Searches' | 'Evaluations' | 'Cycle runs' | 'Theme' | 'Workspace';
  label: string;
  /** extra words the filter matches */
  keywords?: string[];
  /** the keyboard shortcut that does the same, shown beside it */
  shortcut?: string;
  run(): void;
}

export const VIEW_LABELS: Record<View, string> = {
  datasets: 'Datasets',
  problems: 'Problems',
  searches: 'Searches',
  evaluations: 'Evaluations',
  models: 'Models',
  jobs: 'Jobs',
  import: 'Import',
  cycles: 'Cycles',
};

/** Alt+1 … Alt+8 open the views in tab order. */
export function viewForShortcut(e: { altKey: boolean; ctrlKey: boolean; metaKey: boolean; key: string }): View | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const n = Number(e.key);
  return Number.isInteger(n) && n >= 1 && n <= VIEWS.length ? VIEWS[n - 1] : null;
}

/** Ctrl+K (Cmd+K on a Mac) opens the palette. */
export function isPaletteShortcut(e: { ctrlKey: boolean; metaKey: boolean; altKey: boolean; key: string }): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k';
}

const RECENT = 50;

export function paletteCommands(s: AppState, refresh: () => void): PaletteCommand[] {
  const out: PaletteCommand[] = VIEWS.map((v, i) => ({
    id: `view:${v}`,
    group: 'Go to',
    label: VIEW_LABELS[v],
    shortcut: `Alt+${i + 1}`,
    run: () => s.go(v),
  }));
  for (const d of s.datasets) {
    out.push({ id: `dataset:${d.name}`, group: 'Datasets', label: `Problems of ${d.name}`, keywords: [d.name, ...Object.keys(d.splits)], run: () => s.go('problems', d.name) });
  }
  for (const x of s.searches.slice(0, RECENT)) {
    out.push({
      id: `search:${x.id}`,
      group: 'Searches',
      label: `Search #${x.id}: ${searchTitle(x)}, ${algorithmLabel(x.algorithm)}`,
      keywords: [String(x.id), x.algorithm, x.status, ...(x.extId ? [x.extId] : [])],
      run: () => s.navigate({ view: 'searches', dataset: s.dataset, search: x.id }),
    });
  }
  for (const e of s.evaluations.slice(0, RECENT)) {
    out.push({
      id: `evaluation:${e.id}`,
      group: 'Evaluations',
      label: `Evaluation #${e.id}: ${e.name}`,
      keywords: [String(e.id)],
      run: () => s.navigate({ view: 'evaluations', dataset: s.dataset, evaluationId: e.id }),
    });
  }
  for (const r of s.cycleRuns.slice(0, RECENT)) {
    out.push({
      id: `cycle-run:${r.id}`,
      group: 'Cycle runs',
      label: `Cycle run #${r.id}: ${r.name}`,
      keywords: [String(r.id), r.dataset, r.baseModel, 'mathse', 'cycle'],
      run: () => s.openCycleRun(r.id),
    });
  }
  for (const t of THEME_CHOICES) {
    out.push({ id: `theme:${t}`, group: 'Theme', label: t === 'system' ? 'Theme: follow the system' : `Theme: ${t}`, keywords: ['theme', 'colour', 'color', t], run: () => s.setThemeChoice(t) });
  }
  out.push({ id: 'workspace', group: 'Workspace', label: 'Open or create a workspace…', keywords: ['workspace', 'folder', 'switch', 'new'], run: () => s.requestPicker(true) });
  out.push({
    id: 'curator',
    group: 'Workspace',
    label: `Set your name for curation records${s.curator ? ` (now: ${s.curator.name}${s.curator.source === 'system' ? ', the system account' : ''})` : ''}…`,
    keywords: ['name', 'author', 'curator', 'who', 'history'],
    run: () => s.requestName(true),
  });
  out.push({ id: 'refresh', group: 'Workspace', label: 'Reload all data', keywords: ['refresh', 'reload'], run: refresh });
  return out;
}

/** A problem the palette found by its dataset id or question words. */
export interface ProblemHit {
  dataset: string;
  extId: string;
  question: string;
}

export function problemCommands(s: AppState, hits: readonly ProblemHit[]): PaletteCommand[] {
  return hits.map((h) => ({
    id: `problem:${h.dataset}:${h.extId}`,
    group: 'Problems',
    label: `${h.extId} (${h.dataset}): ${h.question.length > 70 ? `${h.question.slice(0, 69)}…` : h.question}`,
    keywords: [h.extId, h.dataset],
    run: () => s.navigate({ view: 'problems', dataset: h.dataset, focus: { kind: 'ref', extId: h.extId } }),
  }));
}
