// The view that is open, kept in the URL hash so that a reload (or the back button) returns to it.
export type View = 'datasets' | 'problems' | 'searches' | 'evaluations' | 'models' | 'jobs' | 'import' | 'cycles';
export const VIEWS: readonly View[] = ['datasets', 'problems', 'searches', 'evaluations', 'models', 'jobs', 'import', 'cycles'];

/** Inside the Problems view: the dataset heatmap, or one problem (with a solution's step in focus). */
export type Focus = { kind: 'heatmap' } | { kind: 'problem'; id: number; solution?: number; step?: number };

export interface Route {
  view: View;
  /** the dataset the Problems view shows */
  dataset: string | null;
  /** the Problems view's heatmap or open problem; absent: its table */
  focus?: Focus;
  /** the cycle run the Cycles view shows (#/cycles/<id>); absent: the newest */
  cycleRun?: number;
}

const int = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** "heatmap" or "problem/<id>[/<solution>/<step>]" after the dataset; undefined when it is neither. */
function parseFocus(tail: string[]): Focus | undefined {
  if (tail.length === 1 && tail[0] === 'heatmap') return { kind: 'heatmap' };
  if (tail[0] !== 'problem') return undefined;
  const [id, solution, step] = tail.slice(1).map(int);
  if (id === undefined) return undefined;
  if (tail.length === 2) return { kind: 'problem', id };
  if (tail.length === 4 && solution !== undefined && step !== undefined) return { kind: 'problem', id, solution, step };
  return undefined;
}

function formatFocus(f: Focus | undefined): string {
  if (!f) return '';
  if (f.kind === 'heatmap') return '/heatmap';
  return `/problem/${f.id}${f.solution !== undefined && f.step !== undefined ? `/${f.solution}/${f.step}` : ''}`;
}

export function parseHash(hash: string): Route {
  const [view, ...rest] = hash.replace(/^#\/?/, '').split('/');
  // a problem opened from outside any dataset: #/problem/<id>[/<solution>/<step>]
  const outside = view === 'problem' ? parseFocus([view, ...rest]) : undefined;
  if (outside) return { view: 'problems', dataset: null, focus: outside };
  const focus = view === 'problems' && rest.length > 1 ? parseFocus(rest.slice(1)) : undefined;
  if (focus) {
    try {
      return { view: 'problems', dataset: decodeURIComponent(rest[0]), focus };
    } catch {
      return { view: 'problems', dataset: null };
    }
  }
  const known = (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'datasets';
  if (known === 'cycles') {
    const run = rest.length === 1 ? int(rest[0]) : undefined;
    return run === undefined ? { view: known, dataset: null } : { view: known, dataset: null, cycleRun: run };
  }
  let dataset: string | null = null;
  if (known === 'problems' && rest.length > 0 && rest.join('/') !== '') {
    try {
      dataset = decodeURIComponent(rest.join('/'));
    } catch {
      dataset = null;
    }
  }
  return { view: known, dataset };
}

export function formatHash(route: Route): string {
  if (route.view === 'cycles') return route.cycleRun !== undefined ? `#/cycles/${route.cycleRun}` : '#/cycles';
  if (route.view === 'problems' && !route.dataset && route.focus?.kind === 'problem') return `#${formatFocus(route.focus)}`;
  return route.view === 'problems' && route.dataset ? `#/problems/${encodeURIComponent(route.dataset)}${formatFocus(route.focus)}` : `#/${route.view}`;
}
