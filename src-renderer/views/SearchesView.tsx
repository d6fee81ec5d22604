// Searches and the tree explorer: the list of searches; the open search's tree on a canvas (MC colour,
// visits size, first errors ringed, a legend and a minimap), subtrees collapsed and expanded, search
// within the tree, the replay of the search event by event, a comparison with another search of the same
// problem; the selected node's path from the root with each step's MC and every PRM's score; the
// annotation labels through that node (CurationPanel). A tree with broken parent links (an old import)
// is named and drawn as far as it is connected.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useApp } from '../store';
import type { OpenTree } from '../store/searches';
import { collapseBelow, indexTree, layoutTree, pathTo, revealNode, toggleCollapsed } from '../tree/layout';
import { buildReplay, replayFrame } from '../tree/replay';
import { TreeCanvas } from '../tree/TreeCanvas';
import { CompareSearches } from './CompareSearches';
import { CurationPanel } from './CurationPanel';
import { DisagreementQueue } from './DisagreementQueue';
import { ReplayTimeline } from './ReplayTimeline';
import { TreeSearch } from './TreeSearch';
import './searches.css';

export function SearchesView() {
  const searches = useApp((s) => s.searches);
  const total = useApp((s) => s.searchesTotal);
  const loaded = useApp((s) => s.searchesLoaded);
  const error = useApp((s) => s.searchesError);
  const load = useApp((s) => s.loadSearches);
  const tree = useApp((s) => s.tree);
  const treeError = useApp((s) => s.treeError);
  const open = useApp((s) => s.openSearch);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!tree && searches.length > 0) void open(searches[0].id);
  }, [tree, searches, open]);

  return (
    <section aria-labelledby="searches-title">
      <ViewHeader id="searches-title" title="Searches" onRefresh={() => void load()} error={error} loading={!loaded} />
      <DisagreementQueue />
      {loaded && searches.length === 0 && (
        <p className="empty">
          No searches yet. Label steps with <code>steplab search --workspace &lt;dir&gt; --dataset demo --model tiny-policy --algo omega --limit 10</code>.
        </p>
      )}
      {searches.length > 0 && (
        <div className="split-pane">
          <div>
            <ul className="list" aria-label="Searches">
              {searches.map((s) => (
                <li key={s.id}>
                  <button type="button" className={tree?.search.id === s.id ? 'link current' : 'link'} onClick={() => void open(s.id)}>
                    #{s.id} {s.algorithm} · problem {s.problemId}
                  </button>
                  <div className="muted small">
                    {String(s.stats.nodes ?? '?')} nodes · {s.status}
                  </div>
                </li>
              ))}
            </ul>
            {total > searches.length && <p className="muted small">the newest {searches.length} of {total.toLocaleString()}</p>}
          </div>
          <div className="detail">
            {treeError && <ErrorNote message={treeError} onRetry={() => tree && void open(tree.search.id)} />}
            {tree && <TreeExplorer key={tree.search.id} tree={tree} />}
          </div>
        </div>
      )}
    </section>
  );
}

/** The open search: its tree and everything about it (state kept per search: the key resets it). */
function TreeExplorer({ tree }: { tree: OpenTree }) {
  const selected = useApp((s) => s.selectedNode);
  const select = useApp((s) => s.selectNode);
  const events = useApp((s) => s.treeEvents);
  const eventsError = useApp((s) => s.eventsError);
  const loadEvents = useApp((s) => s.loadEvents);
  const comparison = useApp((s) => s.comparison);
  const closeCompare = useApp((s) => s.closeCompare);

  const index = useMemo(() => indexTree(tree.nodes), [tree]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(() => new Set());
  const layout = useMemo(() => layoutTree(index, { collapsed }), [index, collapsed]);
  const [matches, setMatches] = useState<number[]>([]);
  const [focus, setFocus] = useState<{ id: number; n: number } | null>(null);
  const [replayK, setReplayK] = useState<number | null>(null);

  const searchId = tree.search.id;
  useEffect(() => {
    void loadEvents(searchId);
  }, [searchId, loadEvents]);
  const replay = useMemo(() => (events?.searchId === searchId ? buildReplay(events.items, tree.nodes) : null), [events, searchId, tree]);
  const frame = useMemo(() => (replay && replayK !== null && replay.steps.length > 0 ? replayFrame(replay, replayK) : null), [replay, replayK]);

  const toggle = useCallback((id: number) => setCollapsed((c) => toggleCollapsed(index, c, id)), [index]);
  const jumpTo = useCallback(
    (id: number) => {
      setCollapsed((c) => revealNode(index, c, id));
      select(id);
      setFocus((f) => ({ id, n: (f?.n ?? 0) + 1 }));
    },
    [index, select],
  );
  const prmScores = useCallback((id: number) => tree.prm.flatMap((p) => (p.scores[String(id)] === undefined ? [] : [{ model: p.model, score: p.scores[String(id)] }])), [tree]);

  const laidSelected = selected === null ? undefined : layout.byId.get(selected);
  const path = laidSelected ? pathTo(laidSelected) : [];
  const selectedHasChildren = selected !== null && (index.children.get(selected)?.length ?? 0) > 0;
  const hiddenCount = layout.nodes.reduce((t, n) => t + n.hidden, 0);

  return (
    <>
      <h3>
        Search #{tree.search.id}: {tree.search.algorithm}, problem {tree.search.problemId}
      </h3>
      <p className="muted small">
        {tree.nodes.length.toLocaleString()} nodes · stopped: {tree.search.status}
        {tree.prm.length > 0 && <> · PRM scores from {tree.prm.map((p) => p.model).join(', ')}</>}
      </p>
      {index.problems.length > 0 && (
        <div className="error-note tree-problems" role="alert" data-testid="tree-problems">
          <div>
            <strong>
              Search #{tree.search.id}'s tree has broken parent links (an old import?){layout.nodes.length > 0 ? `; the ${layout.nodes.length.toLocaleString()} nodes connected to the root are drawn` : ''}:
            </strong>
            <ul>
              {index.problems.slice(0, 5).map((p) => (
                <li key={p}>{p}</li>
              ))}
              {index.problems.length > 5 && <li>and {index.problems.length - 5} more</li>}
            </ul>
          </div>
        </div>
      )}
      <CompareBar tree={tree} />
      {comparison && comparison.trees[0].search.id === tree.search.id ? (
        <CompareSearches comparison={comparison.result} trees={comparison.trees} onClose={closeCompare} />
      ) : (
        layout.nodes.length > 0 && (
          <>
            <TreeSearch order={index.order} prm={tree.prm} current={selected} onMatches={setMatches} onJump={jumpTo} />
            <div className="tree-collapse small">
              {selectedHasChildren && (
                <button type="button" onClick={() => toggle(selected!)}>
                  {collapsed.has(selected!) ? `Expand #${selected}` : `Collapse #${selected}`}
                </button>
              )}
              <label>
                collapse every subtree at depth{' '}
                <select aria-label="Collapse every subtree at depth" value="" onChange={(e) => e.target.value && setCollapsed(collapseBelow(index, Number(e.target.value)))}>
                  <option value="">…</option>
                  {[1, 2, 3, 4, 5, 6].map((d) => (
                    <option key={d} value={d}>
                      {d}
                    </option>
                  ))}
                </select>
              </label>
              {collapsed.size > 0 && (
                <button type="button" onClick={() => setCollapsed(new Set())}>
                  Expand all
                </button>
              )}
              <span className="muted" data-testid="tree-shown">
                {hiddenCount > 0 ? `${layout.nodes.length.toLocaleString()} of ${layout.total.toLocaleString()} nodes shown, ${collapsed.size} collapsed` : `all ${layout.nodes.length.toLocaleString()} nodes shown`} · double-click a node, or press Space on the selected one, to collapse or expand it
              </span>
            </div>
            <TreeCanvas layout={layout} selected={selected} onSelect={select} onToggle={toggle} matches={matches} frame={frame} focus={focus} fitKey={tree.search.id} prmScores={prmScores} />
            {eventsError && <ErrorNote message={`Replay: ${eventsError}`} onRetry={() => void loadEvents(searchId)} />}
            {replay && <ReplayTimeline replay={replay} k={replayK} onChange={setReplayK} />}
            {path.length > 0 && (
              <table className="data-table" data-testid="node-path">
                <caption>Path to node #{selected} (click a node in the tree)</caption>
                <thead>
                  <tr>
                    <th>#</th>
                    <th>step</th>
                    <th className="num">N</th>
                    <th className="num">MC</th>
                    <th>label</th>
                    {tree.prm.map((p) => (
                      <th key={p.modelId} className="num">
                        {p.model}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {path.map((n) => (
                    <tr key={n.node.id} className={n.node.id === selected ? 'chosen' : undefined}>
                      <td className="num">{n.node.depth}</td>
                      <td className="mono pre">{n.node.stepText || <span className="muted">(question)</span>}</td>
                      <td className="num">{n.node.visits}</td>
                      <td className="num">
                        <span className="dot" style={{ background: n.color }} /> {n.node.mc?.toFixed(3) ?? '–'}
                      </td>
                      <td>{n.node.mc === null ? '' : n.node.firstError ? 'first error' : n.node.mc > 0 ? 'good (MC > 0)' : 'bad (MC = 0)'}</td>
                      {tree.prm.map((p) => (
                        <td key={p.modelId} className="num">
                          {p.scores[String(n.node.id)]?.toFixed(3) ?? ''}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {selected !== null && <CurationPanel node={selected} />}
          </>
        )
      )}
    </>
  );
}

/** "Compare with": the other searches of the same problem (other problems' searches are not offered). */
function CompareBar({ tree }: { tree: OpenTree }) {
  const candidates = useApp((s) => s.compareCandidates);
  const loadCandidates = useApp((s) => s.loadCompareCandidates);
  const compareWith = useApp((s) => s.compareWith);
  const compareError = useApp((s) => s.compareError);
  const comparison = useApp((s) => s.comparison);
  const problemId = tree.search.problemId;
  useEffect(() => {
    void loadCandidates(problemId);
  }, [problemId, loadCandidates]);
  const others = candidates?.problemId === problemId ? candidates.items.filter((s) => s.id !== tree.search.id) : [];
  const current = comparison && comparison.trees[0].search.id === tree.search.id ? comparison.trees[1].search.id : '';
  return (
    <div className="compare-bar small">
      {others.length > 0 ? (
        <label>
          Compare with{' '}
          <select aria-label="Compare with" value={current} onChange={(e) => e.target.value && void compareWith(Number(e.target.value))}>
            <option value="">another search of problem {problemId}…</option>
            {others.map((s) => (
              <option key={s.id} value={s.id}>
                #{s.id} {s.algorithm} · {String(s.stats.nodes ?? '?')} nodes
              </option>
            ))}
          </select>
        </label>
      ) : (
        candidates?.problemId === problemId && <span className="muted">No other search of problem {problemId} to compare with.</span>
      )}
      {compareError && <ErrorNote message={`Compare: ${compareError}`} />}
    </div>
  );
}
