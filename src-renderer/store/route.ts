// The view that is open, kept in the URL hash so that a reload (or the back button) returns to it.
export type View = 'datasets' | 'problems' | 'searches' | 'evaluations' | 'jobs' | 'import';
export const VIEWS: readonly View[] = ['datasets', 'problems', 'searches', 'evaluations', 'jobs', 'import'];

export interface Route {
  view: View;
  /** the dataset the Problems view shows */
  dataset: string | null;
}

export function parseHash(hash: string): Route {
  const [view, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const known = (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'datasets';
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
  return route.view === 'problems' && route.dataset ? `#/problems/${encodeURIComponent(route.dataset)}` : `#/${route.view}`;
}
