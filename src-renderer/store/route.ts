// What is open, kept in the URL hash so that a reload, the back button or a pasted link returns to it:
// the view and, per view, its selection (a dataset's problem or heatmap, a search and its node, an
// evaluation, a job, a cycle run).
export type View = 'datasets' | 'problems' | 'searches' | 'evaluations' | 'models' | 'jobs' | 'import' | 'cycles';
export const VIEWS: readonly View[] = ['datasets', 'problems', 'searches', 'evaluations', 'models', 'jobs', 'import', 'cycles'];

/**
 * Inside the Problems view: the dataset heatmap, or one problem (with a solution's step in focus), named
 * by its dataset id (`ref`, what the UI shows) or by its row id (`problem`, the older links).
 */
export type Focus =
  | { kind: 'heatmap' }
  | { kind: 'problem'; id: number; solution?: number; step?: number }
  | { kind: 'ref'; extId: string; solution?: number; step?: number };

export interface Route {
  view: View;
  /** the dataset the Problems view shows */
  dataset: string | null;
  /** the Problems view's heatmap or open problem; absent: its table */
  focus?: Focus;
  /** the cycle run the Cycles view shows (#/cycles/<id>); absent: the newest */
  cycleRun?: number;
  /** the search the Searches view shows (#/searches/<id>) and its selected node (…/node/<id>) */
  search?: number;
  node?: number;
  /** the evaluation the Evaluations view shows (#/evaluations/<id>) */
  evaluationId?: number;
  /** the job the Jobs view points at (#/jobs/<id>) */
  jobId?: number;
}

const int = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

function decode(s: string | undefined): string | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** "heatmap", "problem/<id>[/<solution>/<step>]" or "id/<ext id>[/<solution>/<step>]" after the dataset; undefined when none. */
function parseFocus(tail: string[]): Focus | undefined {
  if (tail.length === 1 && tail[0] === 'heatmap') return { kind: 'heatmap' };
  const [solution, step] = tail.slice(2).map(int);
  const withStep = tail.length === 4 && solution !== undefined && step !== undefined;
  if (tail.length !== 2 && !withStep) return undefined;
  if (tail[0] === 'id') {
    const extId = decode(tail[1]);
    if (extId === undefined) return undefined;
    return withStep ? { kind: 'ref', extId, solution, step } : { kind: 'ref', extId };
  }
  if (tail[0] !== 'problem') return undefined;
  const id = int(tail[1]);
  if (id === undefined) return undefined;
  return withStep ? { kind: 'problem', id, solution, step } : { kind: 'problem', id };
}

function formatFocus(f: Focus | undefined): string {
  if (!f) return '';
  if (f.kind === 'heatmap') return '/heatmap';
  const tail = f.solution !== undefined && f.step !== undefined ? `/${f.solution}/${f.step}` : '';
  return f.kind === 'ref' ? `/id/${encodeURIComponent(f.extId)}${tail}` : `/problem/${f.id}${tail}`;
}

export function parseHash(hash: string): Route {
  const [view, ...rest] = hash.replace(/^#\/?/, '').split('/');
  // a problem opened from outside any dataset: #/problem/<id>[/<solution>/<step>]
  const outside = view === 'problem' ? parseFocus([view, ...rest]) : undefined;
  if (outside) return { view: 'problems', dataset: null, focus: outside };
  // a dataset's problem or heatmap: the dataset is the first segment, URI-encoded
  const focus = view === 'problems' && rest.length > 1 ? parseFocus(rest.slice(1)) : undefined;
  if (focus) {
    const dataset = decode(rest[0]);
    return dataset === undefined ? { view: 'problems', dataset: null } : { view: 'problems', dataset, focus };
  }
  const known = (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'datasets';
  const one = rest.length === 1 ? int(rest[0]) : undefined;
  switch (known) {
    case 'cycles':
      return one === undefined ? { view: known, dataset: null } : { view: known, dataset: null, cycleRun: one };
    case 'evaluations':
      return one === undefined ? { view: known, dataset: null } : { view: known, dataset: null, evaluationId: one };
    case 'jobs':
      return one === undefined ? { view: known, dataset: null } : { view: known, dataset: null, jobId: one };
    case 'searches': {
      const search = int(rest[0]);
      if (search === undefined) return { view: known, dataset: null };
      const node = rest.length === 3 && rest[1] === 'node' ? int(rest[2]) : undefined;
      return node === undefined ? { view: known, dataset: null, search } : { view: known, dataset: null, search, node };
    }
    default:
      break;
  }
  let dataset: string | null = null;
  if (known === 'problems' && rest.length > 0 && rest.join('/') !== '') dataset = decode(rest.join('/')) ?? null;
  return { view: known, dataset };
}

export function formatHash(route: Route): string {
  switch (route.view) {
    case 'cycles':
      return route.cycleRun !== undefined ? `#/cycles/${route.cycleRun}` : '#/cycles';
    case 'evaluations':
      return route.evaluationId !== undefined ? `#/evaluations/${route.evaluationId}` : '#/evaluations';
    case 'jobs':
      return route.jobId !== undefined ? `#/jobs/${route.jobId}` : '#/jobs';
    case 'searches':
      if (route.search === undefined) return '#/searches';
      return `#/searches/${route.search}${route.node !== undefined ? `/node/${route.node}` : ''}`;
    case 'problems':
      if (!route.dataset && route.focus?.kind === 'problem') return `#${formatFocus(route.focus)}`;
      return route.dataset ? `#/problems/${encodeURIComponent(route.dataset)}${formatFocus(route.focus)}` : '#/problems';
    default:
      return `#/${route.view}`;
  }
}

/**
 * Whether going from one route to the next is a new history entry or replaces the current one: another
 * node of the same tree replaces it (Back leaves the tree, not each node walked through), and so does a
 * view choosing what to show when nothing was chosen (the newest search or evaluation), so that Back
 * does not land on a route that only chooses again.
 */
export function historyMode(prev: Route, next: Route): 'push' | 'replace' {
  if (prev.view !== next.view) return 'push';
  if (next.view === 'searches') return prev.search === undefined || prev.search === next.search ? 'replace' : 'push';
  if (next.view === 'evaluations') return prev.evaluationId === undefined ? 'replace' : 'push';
  if (next.view === 'cycles') return prev.cycleRun === undefined ? 'replace' : 'push';
  return 'push';
}

/** The route fields of the store's state (the state has many other fields). */
export function routeOf(s: Route): Route {
  const r: Route = { view: s.view, dataset: s.dataset };
  if (s.focus) r.focus = s.focus;
  for (const k of ['cycleRun', 'search', 'node', 'evaluationId', 'jobId'] as const) if (s[k] !== undefined) r[k] = s[k];
  return r;
}
