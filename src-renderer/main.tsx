// Entry: connect to the core, build the store, keep the URL hash and the store in step, render.
import './zodConfig';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { AppContext, createAppStore, refreshAll } from './store';
import { formatHash, historyMode, parseHash, routeOf } from './store/route';
import { applyTheme, loadThemeChoice } from './theme';
import { connect } from './transport';
import './styles.css';

const connection = connect();
const initialRoute = parseHash(window.location.hash);
const store = createAppStore(connection.api, initialRoute, loadThemeChoice());
let stopTheme = applyTheme(store.getState().themeChoice);
store.subscribe((s, prev) => {
  if (s.themeChoice === prev.themeChoice) return;
  stopTheme();
  stopTheme = applyTheme(s.themeChoice);
});
if (window.location.hash !== formatHash(initialRoute)) window.history.replaceState(null, '', formatHash(initialRoute));

// the jobs as the core has them come first, then every job event, reduced into the rows (store/jobs.ts)
connection.subscribe((event) => {
  if (event.type === 'jobs') store.getState().applyJobsSnapshot(event.jobs);
  else if (event.type === 'job') store.getState().applyJobEvent(event.event);
});

let wasOpen = false;
connection.onConnection((info) => {
  store.getState().setConnection(info);
  // events sent while the link was down are lost: reload what they would have changed
  if (info.state === 'open' && wasOpen) void refreshAll(store);
  if (info.state === 'open') wasOpen = true;
});

store.subscribe((s, prev) => {
  const hash = formatHash(s);
  if (hash === formatHash(prev) || window.location.hash === hash) return;
  // another node of the same tree replaces the entry (Back leaves the tree, not each node walked through)
  if (historyMode(routeOf(prev), routeOf(s)) === 'replace') window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
});
window.addEventListener('hashchange', () => {
  const route = parseHash(window.location.hash);
  const s = store.getState();
  if (formatHash(route) !== formatHash(s)) s.navigate(route);
});

void refreshAll(store);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ErrorBoundary label="Steplab">
      <AppContext.Provider value={{ store, connection }}>
        <App />
      </AppContext.Provider>
    </ErrorBoundary>
  </StrictMode>,
);
