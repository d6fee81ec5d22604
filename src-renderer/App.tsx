// The shell: header with the workspace and link state, view tabs, and the open view.
import { lazy, Suspense, useEffect, type ComponentType } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { CuratorNameDialog } from './components/CuratorNameDialog';
import { ManageDialog } from './components/ManageDialog';
import { ErrorNote } from './components/ErrorNote';
import { WorkspacePicker } from './components/WorkspacePicker';
import { count } from './format';
import { useApp } from './store';
import { VIEWS, type View } from './store/route';
import { CommandPalette } from './palette/CommandPalette';
import { isPaletteShortcut, VIEW_LABELS, viewForShortcut } from './palette/commands';
import { THEME_CHOICES, type ThemeChoice } from './theme';
import { DatasetsView } from './views/DatasetsView';
import { EvaluationsView } from './views/EvaluationsView';
import { ImportView } from './views/ImportView';
import { JobsView } from './views/JobsView';
import { ModelsView } from './views/ModelsView';
import { ProblemsView } from './views/ProblemsView';
import { SearchesView } from './views/SearchesView';


// the Cycles view carries Chart.js: it loads when first opened
const CyclesView = lazy(() => import('./views/CyclesView').then((m) => ({ default: m.CyclesView })));

const VIEW_COMPONENTS: Record<View, ComponentType> = {
  datasets: DatasetsView,
  problems: ProblemsView,
  searches: SearchesView,
  evaluations: EvaluationsView,
  models: ModelsView,
  jobs: JobsView,
  import: ImportView,
  cycles: CyclesView,
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
        <div className="workspace">
          <WorkspacePicker path={info.path} />
          <span className="muted">
            {count(info.datasets, 'dataset')} · {count(info.problems, 'problem')} · {count(info.images, 'image')}
          </span>
        </div>
      )}
      {error && <ErrorNote message={error} onRetry={() => void reload()} />}
      <div className="header-tools">
        <PaletteButton />
        <ThemePicker />
      </div>
    </header>
  );
}

function ThemePicker() {
  const choice = useApp((s) => s.themeChoice);
  const set = useApp((s) => s.setThemeChoice);
  return (
    <label className="theme-picker small">
      <span className="muted">Theme</span>{' '}
      <select aria-label="Theme" value={choice} onChange={(e) => set(e.target.value as ThemeChoice)}>
        {THEME_CHOICES.map((t) => (
          <option key={t} value={t}>
            {t === 'system' ? 'system' : t}
          </option>
        ))}
      </select>
    </label>
  );
}

function PaletteButton() {
  const open = useApp((s) => s.setPaletteOpen);
  return (
    <button type="button" className="palette-button" onClick={() => open(true)} title="Command palette (Ctrl+K)">
      Commands <kbd>Ctrl K</kbd>
    </button>
  );
}

/** Ctrl+K opens the palette and Alt+1…8 switch views, wherever the focus is. */
function useGlobalKeys(): void {
  const go = useApp((s) => s.go);
  const setPalette = useApp((s) => s.setPaletteOpen);
  const paletteOpen = useApp((s) => s.paletteOpen);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (isPaletteShortcut(e)) {
        e.preventDefault();
        setPalette(!paletteOpen);
        return;
      }
      const view = viewForShortcut(e);
      if (view) {
        e.preventDefault();
        go(view);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go, setPalette, paletteOpen]);
}

function RunningCount({ kind }: { kind?: string }) {
  const n = useApp((s) => s.jobs.filter((j) => (j.state === 'running' || j.state === 'queued') && (kind === undefined || j.kind === kind)).length);
  return n > 0 ? <span className="badge">{n}</span> : null;
}

export function App() {
  const view = useApp((s) => s.view);
  const go = useApp((s) => s.go);
  const Current = VIEW_COMPONENTS[view];
  useGlobalKeys();
  return (
    <div className="app">
      <Header />
      <ConnectionBanner />
      <nav className="tabs" aria-label="Views">
        {VIEWS.map((v, i) => (
          <button
            key={v}
            type="button"
            className={v === view ? 'tab current' : 'tab'}
            aria-current={v === view ? 'page' : undefined}
            title={`${VIEW_LABELS[v]} (Alt+${i + 1})`}
            onClick={() => go(v)}
          >
            {VIEW_LABELS[v]}
            {v === 'jobs' && <RunningCount />}
            {v === 'cycles' && <RunningCount kind="cycle" />}
          </button>
        ))}
      </nav>
      <main className="content">
        <ErrorBoundary key={view} label={`The ${view} view`}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            <Current />
          </Suspense>
        </ErrorBoundary>
      </main>
      <CommandPalette />
      <CuratorNameDialog />
      <ManageDialog />
    </div>
  );
}
