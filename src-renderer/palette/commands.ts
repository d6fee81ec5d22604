// What the command palette offers: every view, each dataset's problems, recent searches,
// evaluations and cycle runs, the theme, refresh. Built from the store's state, so it is a plain function to test.
import type { AppState } from '../store';
import { VIEWS, type View } from '../store/route';
import { THEME_CHOICES } from '../theme';

export interface PaletteCommand {
  id: string;
  group: 'Go to' | 'Datasets' | 'Searches' | 'Evaluations' | 'Cycle runs' | 'Theme' | 'Workspace';
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
      label: `Search #${x.id}: ${x.algorithm}, problem ${x.problemId}`,
      keywords: [String(x.id), x.algorithm, x.status],
      // open first: the view, once shown, opens the newest search when none is open
      run: () => void s.openSearch(x.id).then(() => s.go('searches')),
    });
  }
  for (const e of s.evaluations.slice(0, RECENT)) {
    out.push({
      id: `evaluation:${e.id}`,
      group: 'Evaluations',
      label: `Evaluation #${e.id}: ${e.name}`,
      keywords: [String(e.id)],
      run: () => void s.openEvaluation(e.id).then(() => s.go('evaluations')),
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
  out.push({ id: 'refresh', group: 'Workspace', label: 'Reload all data', keywords: ['refresh', 'reload'], run: refresh });
  return out;
}
