// The shell: header with the workspace and link state, view tabs, and the open view.
import type { ReactNode } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ErrorNote } from './components/ErrorNote';
import { count } from './format';
import { useApp } from './store';
import type { View } from './store/route';
import { DatasetsView } from './views/DatasetsView';
import { EvaluationsView } from './views/EvaluationsView';
import { ImportView } from './views/ImportView';
import { JobsView } from './views/JobsView';
import { ProblemsView } from './views/ProblemsView';
import { SearchesView } from './views/SearchesView';

const TABS: { view: View; label: string }[] = [
  { view: 'datasets', label: 'Datasets' },
  { view: 'problems', label: 'Problems' },
  { view: 'searches', label: 'Searches' },
  { view: 'evaluations', label: 'Evaluations' },
  { view: 'jobs', label: 'Jobs' },
  { view: 'import', label: 'Import' },
];

const VIEW_COMPONENTS: Record<View, () => ReactNode> = {
  datasets: DatasetsView,
  problems: ProblemsView,
  searches: SearchesView,
  evaluations: EvaluationsView,
  jobs: JobsView,
  import: ImportView,
};

function ConnectionBanner() {
  const connection = useApp((s) => s.connection);
  if (connection.state === 'open') return null;
  if (connection.state === 'connecting') return <div className="banner">Connecting to the Steplab host…</div>;
  return (
    <div className="banner warn" role="status">
      Lost the connection to the Steplab host; reconnecting…
      {connection.failures >= 3 && ' If the host was restarted, open the new address it printed (each launch has a new token).'}
    </div>
  );
}

function Header() {
  const info = useApp((s) => s.workspace);
  const error = useApp((s) => s.workspaceError);
  const reload = useApp((s) => s.loadWorkspace);
  return (
    <header className="app-header">
      <h1>Steplab</h1>
      {info && (
        <div className="workspace" title={info.path}>
          <span className="mono ellipsis">{info.path}</span>
          <span className="muted">
            {count(info.datasets, 'dataset')} · {count(info.problems, 'problem')} · {count(info.images, 'image')}
          </span>
        </div>
      )}
      {error && <ErrorNote message={error} onRetry={() => void reload()} />}
    </header>
  );
}

function RunningCount() {
  const n = useApp((s) => s.jobs.filter((j) => j.state === 'running' || j.state === 'queued').length);
  return n > 0 ? <span className="badge">{n}</span> : null;
}

export function App() {
  const view = useApp((s) => s.view);
  const go = useApp((s) => s.go);
  const Current = VIEW_COMPONENTS[view];
  return (
    <div className="app">
      <Header />
      <ConnectionBanner />
      <nav className="tabs" aria-label="Views">
        {TABS.map((t) => (
          <button
            key={t.view}
            type="button"
            className={t.view === view ? 'tab current' : 'tab'}
            aria-current={t.view === view ? 'page' : undefined}
            onClick={() => go(t.view)}
          >
            {t.label}
            {t.view === 'jobs' && <RunningCount />}
          </button>
        ))}
      </nav>
      <main className="content">
        <ErrorBoundary key={view} label={`The ${view} view`}>
          <Current />
        </ErrorBoundary>
      </main>
    </div>
  );
}
