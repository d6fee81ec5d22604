// Entry: connect to the core, build the store, keep the URL hash and the store in step, render.
import './zodConfig';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { AppContext, createAppStore, refreshAll } from './store';
import { formatHash, parseHash } from './store/route';
import { connect } from './transport';
import './styles.css';

const connection = connect();
const initialRoute = parseHash(window.location.hash);
const store = createAppStore(connection.api, initialRoute);
if (window.location.hash !== formatHash(initialRoute)) window.history.replaceState(null, '', formatHash(initialRoute));

connection.subscribe((event) => {
  if (event.type === 'job') store.getState().applyJob(event.job);
});

let wasOpen = false;
connection.onConnection((info) => {
  store.getState().setConnection(info);
  // events sent while the link was down are lost: reload what they would have changed
  if (info.state === 'open' && wasOpen) void refreshAll(store);
  if (info.state === 'open') wasOpen = true;
});

store.subscribe((s, prev) => {
  if (s.view === prev.view && s.dataset === prev.dataset) return;
  const hash = formatHash(s);
  if (window.location.hash !== hash) window.location.hash = hash;
});
window.addEventListener('hashchange', () => {
  const route = parseHash(window.location.hash);
  const s = store.getState();
  if (route.view !== s.view || route.dataset !== s.dataset) s.go(route.view, route.view === 'problems' ? route.dataset : undefined);
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
