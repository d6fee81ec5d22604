// Searches and the tree explorer: the list of searches; the open search's tree on a canvas (MC colour,
// visits size, first errors ringed); the selected node's path from the root with each step's MC and
// every PRM's score; the annotation labels through that node (CurationPanel).
import { useEffect, useMemo } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useApp } from '../store';
import { layoutTree, pathTo, type TreeLayout } from '../tree/layout';
import { TreeCanvas } from '../tree/TreeCanvas';
import { CurationPanel } from './CurationPanel';
import { DisagreementQueue } from './DisagreementQueue';

export function SearchesView() {
  const searches = useApp((s) => s.searches);
  const total = useApp((s) => s.searchesTotal);
  const loaded = useApp((s) => s.searchesLoaded);
  const error = useApp((s) => s.searchesError);
  const load = useApp((s) => s.loadSearches);
  const tree = useApp((s) => s.tree);
  const treeError = useApp((s) => s.treeError);
  const open = useApp((s) => s.openSearch);
  const selected = useApp((s) => s.selectedNode);
  const select = useApp((s) => s.selectNode);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!tree && searches.length > 0) void open(searches[0].id);
  }, [tree, searches, open]);

  const laid = useMemo((): { layout: TreeLayout | null; error: string | null } => {
    if (!tree) return { layout: null, error: null };
    try {
      return { layout: layoutTree(tree.nodes), error: null };
    } catch (e) {
      return { layout: null, error: `Search ${tree.search.id} cannot be drawn: ${(e as Error).message}` };
    }
  }, [tree]);
  const path = laid.layout && selected !== null && laid.layout.byId.get(selected) ? pathTo(laid.layout.byId.get(selected)!) : [];
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
            {laid.error && <ErrorNote message={laid.error} />}
            {tree && laid.layout && (
              <>
                <h3>
                  Search #{tree.search.id}: {tree.search.algorithm}, problem {tree.search.problemId}
                </h3>
                <p className="muted small">
                  {tree.nodes.length.toLocaleString()} nodes · stopped: {tree.search.status}
                  {tree.prm.length > 0 && <> · PRM scores from {tree.prm.map((p) => p.model).join(', ')}</>}
                </p>
                <TreeCanvas layout={laid.layout} selected={selected} onSelect={select} />
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
            )}
          </div>
        </div>
      )}
    </section>
  );
}
