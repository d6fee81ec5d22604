// Searches and the tree explorer, laid out for a laptop screen: the open search's problem (dataset id,
// question, pictures, gold answer, the tree against gold) above two panes that fill the window: the tree
// on a canvas (MC colour, or MM-PRM's judge for an imported tree that has it; visits size, the search's
// first errors ringed, the gold first errors squared, a legend and a minimap beside it, never over it;
// find, collapse, replay, compare) and, beside it, the selected node's path (MC, gold, the label in force,
// every PRM's score; an imported tree's judge values and kept rollouts) with its curation, or the
// curation queues. The panes are resizable. The open search and node are the route's
// (#/searches/<id>/node/<id>): reload, Back and a pasted link restore them. A tree with broken parent
// links (an old import) is named and drawn as far as it is connected.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { useFillHeight } from '../hooks/useFillHeight';
import { useApp } from '../store';
import type { TreeNode } from '../../src-shared/domain';
import { algorithmLabel, goldByNode, searchTitle, type NodeGold, type OpenTree } from '../store/searches';
import { curatedNodeLabels, effectiveFirstError } from '../tree/curated';
import { collapseBelow, indexTree, layoutTree, revealNode, toggleCollapsed } from '../tree/layout';
import { buildReplay, replayFrame } from '../tree/replay';
import { TreeCanvas } from '../tree/TreeCanvas';
import { CompareSearches } from './CompareSearches';
import { CurationPanel } from './CurationPanel';
import { DisagreementQueue } from './DisagreementQueue';
import { keptText, NodeExtras } from './NodeExtras';
import { NodePath } from './NodePath';
import { ReplayTimeline } from './ReplayTimeline';
import { SearchProblem } from './SearchProblem';
import { TreeSearch } from './TreeSearch';
import './searches.css';
import { ManageButtons } from '../components/ManageDialog';

const SPLIT_KEY = 'steplab.treeSplit';
/** the tree's share of the explorer's width by default: at least half the window at 1280 and 1440 px */
const DEFAULT_SPLIT = 0.55;
const MIN_SPLIT = 0.3;
const MAX_SPLIT = 0.8;

function loadSplit(): number {
  try {
    const v = Number(localStorage.getItem(SPLIT_KEY));
    return v >= MIN_SPLIT && v <= MAX_SPLIT ? v : DEFAULT_SPLIT;
  } catch {
    return DEFAULT_SPLIT;
  }
}

/** The searches as the picker lists them: by dataset id, then algorithm and id. */
function pickerOrder<T extends { id: number; extId?: string | null; problemId: number; algorithm: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => searchTitle(a).localeCompare(searchTitle(b), undefined, { numeric: true }) || a.algorithm.localeCompare(b.algorithm) || a.id - b.id);
}

function SearchPicker() {
  const searches = useApp((s) => s.searches);
  const total = useApp((s) => s.searchesTotal);
  const current = useApp((s) => s.search);
  const open = useApp((s) => s.openSearch);
  const ordered = useMemo(() => pickerOrder(searches), [searches]);
  const at = ordered.findIndex((s) => s.id === current);
  const step = (d: 1 | -1) => {
    const next = ordered[at + d];
    if (next) void open(next.id);
  };
  return (
    <div className="search-picker">
      <button type="button" aria-label="Previous search" disabled={at <= 0} onClick={() => step(-1)}>
        ‹
      </button>
      <select aria-label="Search" value={current ?? ''} onChange={(e) => e.target.value && void open(Number(e.target.value))}>
        {current === undefined && <option value="">choose a search…</option>}
        {ordered.map((s) => (
          <option key={s.id} value={s.id}>
            {searchTitle(s)} · {algorithmLabel(s.algorithm)} #{s.id} · {String(s.stats.nodes ?? '?')} nodes · {s.status}
          </option>
        ))}
      </select>
      <button type="button" aria-label="Next search" disabled={at < 0 || at >= ordered.length - 1} onClick={() => step(1)}>
        ›
      </button>
      <span className="muted small">{total > searches.length ? `the newest ${searches.length} of ${total.toLocaleString()}` : `${searches.length} searches`}</span>
    </div>
  );
}

export function SearchesView() {
  const searches = useApp((s) => s.searches);
  const loaded = useApp((s) => s.searchesLoaded);
  const error = useApp((s) => s.searchesError);
  const load = useApp((s) => s.loadSearches);
  const tree = useApp((s) => s.tree);
  const treeError = useApp((s) => s.treeError);
  const open = useApp((s) => s.openSearch);
  const wanted = useApp((s) => s.search);
  const wantedNode = useApp((s) => s.node);

  useEffect(() => {
    void load();
  }, [load]);
  // the route says which search is open: open it (a reload, Back, a pasted link), or the first one listed
  useEffect(() => {
    if (wanted !== undefined) {
      if (tree?.search.id !== wanted) void open(wanted, wantedNode);
    } else if (searches.length > 0) {
      void open(pickerOrder(searches)[0].id);
    }
    // wantedNode is read when the search changes; a node change alone is handled by the explorer
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wanted, searches, open, tree?.search.id]);

  const shown = tree && tree.search.id === wanted ? tree : null;
  return (
    <section aria-labelledby="searches-title" className="searches-view">
      <div className="view-head">
        <h2 id="searches-title">Searches</h2>
        {searches.length > 0 && <SearchPicker />}
        {shown && <ManageButtons target={{ kind: 'search', ref: shown.search.id, label: shown.search.name ? `“${shown.search.name}”` : `#${shown.search.id} ${searchTitle(shown.search)}`, name: shown.search.name ?? '' }} />}
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && <ErrorNote message={error} onRetry={() => void load()} />}
      {!loaded && !error && <p className="muted">Loading…</p>}
      {loaded && searches.length === 0 && (
        <p className="empty">
          No searches yet. Label steps with a search job (Jobs → Start a job), or <code>steplab search --workspace &lt;dir&gt; --dataset demo --model tiny-policy --algo omega --limit 10</code>.
        </p>
      )}
      {treeError && <ErrorNote message={treeError} onRetry={() => wanted !== undefined && void open(wanted)} />}
      {shown && <SearchProblem tree={shown} />}
      {shown && <Explorer tree={shown} />}
    </section>
  );
}

/** The tree's path from the root to a node (root first), through the index. */
function pathOf(index: ReturnType<typeof indexTree>, id: number): TreeNode[] {
  const out: TreeNode[] = [];
  const seen = new Set<number>();
  for (let n = index.byId.get(id); n && !seen.has(n.id); n = n.parentId === null ? undefined : index.byId.get(n.parentId)) {
    seen.add(n.id);
    out.push(n);
  }
  return out.reverse();
}

/**
 * The two panes. The frame (pane sizes, the side pane's tab, the queues) stays when another search is
 * opened; the tree pane is keyed by the search, so its collapse, find and replay state start afresh.
 */
function Explorer({ tree }: { tree: OpenTree }) {
  const routeNode = useApp((s) => s.node);
  const select = useApp((s) => s.selectNode);
  const treeGold = useApp((s) => s.treeGold);
  const annotations = useApp((s) => s.annotations);
  const [tab, setTab] = useState<'node' | 'queues'>('node');
  // the queues are mounted when first shown, not with every tree: a queue asks the core for a ranking of
  // every scored node (about a second at MM-PRM's scale), which would hold up the host behind each open
  const [queuesShown, setQueuesShown] = useState(false);
  if (tab === 'queues' && !queuesShown) setQueuesShown(true);
  const [split, setSplit] = useState(loadSplit);
  const explorer = useRef<HTMLDivElement>(null);
  const height = useFillHeight(explorer, { min: 360 });

  const index = useMemo(() => indexTree(tree.nodes), [tree]);
  const selected = routeNode !== undefined && index.byId.has(routeNode) ? routeNode : null;
  const gold = useMemo(() => goldByNode(treeGold?.searchId === tree.search.id ? treeGold : null), [treeGold, tree.search.id]);
  const curated = useMemo(() => curatedNodeLabels(annotations.filter((a) => a.searchId === tree.search.id)), [annotations, tree.search.id]);
  const path = useMemo(() => (selected === null ? [] : pathOf(index, selected)), [index, selected]);
  const onPathRow = useCallback((id: number) => select(id), [select]);

  const setSplitSaved = (v: number) => {
    const next = Math.min(MAX_SPLIT, Math.max(MIN_SPLIT, v));
    setSplit(next);
    try {
      localStorage.setItem(SPLIT_KEY, String(next));
    } catch {
      // private mode: the split is kept for this page only
    }
  };
  const onResizerDown = (e: PointerEvent<HTMLDivElement>) => {
    const box = explorer.current?.getBoundingClientRect();
    if (!box) return;
    e.preventDefault();
    const move = (ev: globalThis.PointerEvent) => setSplitSaved((ev.clientX - box.left) / box.width);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const onResizerKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'ArrowLeft') setSplitSaved(split - 0.02);
    else if (e.key === 'ArrowRight') setSplitSaved(split + 0.02);
  };

  return (
    <div className="explorer" ref={explorer} style={{ height, gridTemplateColumns: `minmax(0, ${split}fr) 8px minmax(0, ${1 - split}fr)` }} data-testid="explorer">
      <TreePane key={tree.search.id} tree={tree} index={index} selected={selected} gold={gold} curated={curated} />
      <div
        className="explorer-resizer"
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the tree and the side pane"
        aria-valuemin={MIN_SPLIT * 100}
        aria-valuemax={MAX_SPLIT * 100}
        aria-valuenow={Math.round(split * 100)}
        tabIndex={0}
        onPointerDown={onResizerDown}
        onKeyDown={onResizerKey}
      />
      <div className="side-pane" data-testid="side-pane">
        <div className="side-tabs" role="tablist" aria-label="Side pane">
          <button type="button" role="tab" aria-selected={tab === 'node'} className={tab === 'node' ? 'tab current' : 'tab'} onClick={() => setTab('node')}>
            {selected === null ? 'Node' : `Node #${selected}`}
          </button>
          <button type="button" role="tab" aria-selected={tab === 'queues'} className={tab === 'queues' ? 'tab current' : 'tab'} onClick={() => setTab('queues')}>
            Curation queues
          </button>
        </div>
        {/* both stay mounted once shown: a queue keeps its place while a row's node is looked at */}
        <div className="side-body" hidden={tab !== 'node'} data-testid="node-pane">
          {selected === null ? (
            <p className="muted small">Click a node in the tree (or press Home with the tree focused) to see its path from the question, its labels and their curation.</p>
          ) : (
            <>
              <NodePath path={path} selected={selected} prm={tree.prm} gold={gold} curated={curated} judge={tree.judged ? tree.extras : undefined} onSelect={onPathRow} />
              <NodeExtras node={index.byId.get(selected)!} extra={tree.extras?.get(selected)} />
              <CurationPanel node={selected} />
            </>
          )}
        </div>
        <div className="side-body" hidden={tab !== 'queues'} data-testid="queues-pane">
          {queuesShown && <DisagreementQueue onOpen={() => setTab('node')} />}
        </div>
      </div>
    </div>
  );
}

/** The open search's tree with its tools (find, collapse, compare, replay). */
function TreePane({ tree, index, selected, gold, curated }: { tree: OpenTree; index: ReturnType<typeof indexTree>; selected: number | null; gold: ReadonlyMap<number, NodeGold>; curated: ReadonlyMap<number, number> }) {
  const select = useApp((s) => s.selectNode);
  const events = useApp((s) => s.treeEvents);
  const eventsError = useApp((s) => s.eventsError);
  const loadEvents = useApp((s) => s.loadEvents);
  const comparison = useApp((s) => s.comparison);
  const closeCompare = useApp((s) => s.closeCompare);

  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(() => (selected === null ? new Set() : revealNode(index, new Set(), selected)));
  const layout = useMemo(() => layoutTree(index, { collapsed }), [index, collapsed]);
  const [matches, setMatches] = useState<number[]>([]);
  const [focus, setFocus] = useState<{ id: number; n: number } | null>(null);
  const [replayK, setReplayK] = useState<number | null>(null);

  // an imported tree with judge values can be coloured by MM-PRM's judge instead of MC
  const [colourBy, setColourBy] = useState<'mc' | 'judge'>('mc');
  const byJudge = colourBy === 'judge' && tree.judged === true;
  const marks = useMemo(
    () => ({
      label: (id: number) => curated.get(id),
      ...(byJudge ? { value: (id: number) => tree.extras?.get(id)?.judge?.score ?? null, scale: { name: "MM-PRM's judge", unknown: 'no judge value' } } : {}),
      firstError: (id: number) => {
        const n = index.byId.get(id)!;
        return effectiveFirstError(n, n.parentId === null ? undefined : index.byId.get(n.parentId), curated);
      },
      goldFirstError: gold.size > 0 ? new Set([...gold].filter(([, g]) => g.firstError).map(([id]) => id)) : undefined,
    }),
    [curated, index, gold, byJudge, tree],
  );

  const searchId = tree.search.id;
  useEffect(() => {
    void loadEvents(searchId);
  }, [searchId, loadEvents]);
  const replay = useMemo(() => (events?.searchId === searchId ? buildReplay(events.items, tree.nodes) : null), [events, searchId, tree]);
  const frame = useMemo(() => (replay && replayK !== null && replay.steps.length > 0 ? replayFrame(replay, replayK) : null), [replay, replayK]);

  // a node chosen from outside the canvas (a queue row, the path table, a link) is revealed and centred
  const fromCanvas = useRef<number | null>(null);
  useEffect(() => {
    if (selected === null || fromCanvas.current === selected) return;
    setCollapsed((c) => revealNode(index, c, selected));
    setFocus((f) => ({ id: selected, n: (f?.n ?? 0) + 1 }));
  }, [selected, index]);
  const selectFromCanvas = useCallback(
    (id: number | null) => {
      fromCanvas.current = id;
      select(id);
    },
    [select],
  );
  const toggle = useCallback((id: number) => setCollapsed((c) => toggleCollapsed(index, c, id)), [index]);
  const jumpTo = useCallback(
    (id: number) => {
      fromCanvas.current = null;
      select(id);
    },
    [select],
  );
  const prmScores = useCallback((id: number) => tree.prm.flatMap((p) => (p.scores[String(id)] === undefined ? [] : [{ model: p.model, score: p.scores[String(id)] }])), [tree]);
  const describe = useCallback(
    (id: number) => {
      const g = gold.get(id);
      const out: string[] = [];
      if (g && g.last !== null) out.push(`gold: last step ${g.last ? 'right' : 'wrong'}${g.firstError ? ' · the gold first error of this path' : ''}`);
      if (curated.has(id)) out.push(`curated label ${curated.get(id)!.toFixed(3)}`);
      const extra = tree.extras?.get(id);
      if (extra?.judge?.score != null) out.push(`MM-PRM's judge ${extra.judge.score.toFixed(3)}`);
      if (extra && extra.keptCorrect + extra.keptIncorrect > 0) out.push(keptText(extra));
      return out;
    },
    [gold, curated, tree],
  );

  const selectedHasChildren = selected !== null && (index.children.get(selected)?.length ?? 0) > 0;
  const hiddenCount = layout.nodes.reduce((t, n) => t + n.hidden, 0);
  const comparing = comparison && comparison.trees[0].search.id === tree.search.id;

  return (
    <div className="tree-pane" data-testid="tree-pane">
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
      {comparing ? (
        <div className="tree-pane-scroll">
          <CompareSearches comparison={comparison.result} trees={comparison.trees} onClose={closeCompare} />
        </div>
      ) : (
        layout.nodes.length > 0 && (
          <>
            <div className="tree-toolbar">
              <TreeSearch order={index.order} prm={tree.prm} current={selected} onMatches={setMatches} onJump={jumpTo} />
              <div className="tree-collapse small">
                <CompareBar tree={tree} />
                {selectedHasChildren && (
                  <button type="button" onClick={() => toggle(selected!)}>
                    {collapsed.has(selected!) ? `Expand #${selected}` : `Collapse #${selected}`}
                  </button>
                )}
                <label>
                  collapse at depth{' '}
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
                {tree.judged && (
                  <label>
                    colour by{' '}
                    <select aria-label="Colour the nodes by" value={colourBy} onChange={(e) => setColourBy(e.target.value as 'mc' | 'judge')}>
                      <option value="mc">MC</option>
                      <option value="judge">MM-PRM's judge</option>
                    </select>
                  </label>
                )}
                <span className="muted" data-testid="tree-shown" title="double-click a node, or press Space on the selected one, to collapse or expand it">
                  {hiddenCount > 0 ? `${layout.nodes.length.toLocaleString()} of ${layout.total.toLocaleString()} nodes shown, ${collapsed.size} collapsed` : `all ${layout.nodes.length.toLocaleString()} nodes shown`}
                </span>
              </div>
            </div>
            <TreeCanvas
              layout={layout}
              selected={selected}
              onSelect={selectFromCanvas}
              onToggle={toggle}
              matches={matches}
              frame={frame}
              focus={focus}
              fitKey={tree.search.id}
              prmScores={prmScores}
              describe={describe}
              marks={marks}
              fill
            />
            {eventsError && <ErrorNote message={`Replay: ${eventsError}`} onRetry={() => void loadEvents(searchId)} />}
            {replay && <ReplayTimeline replay={replay} k={replayK} onChange={setReplayK} />}
          </>
        )
      )}
    </div>
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
    <span className="compare-bar">
      {others.length > 0 ? (
        <select aria-label="Compare with" value={current} onChange={(e) => e.target.value && void compareWith(Number(e.target.value))}>
          <option value="">compare with…</option>
          {others.map((s) => (
            <option key={s.id} value={s.id}>
              #{s.id} {algorithmLabel(s.algorithm)} · {String(s.stats.nodes ?? '?')} nodes · seed {s.seed ?? '–'}
            </option>
          ))}
        </select>
      ) : (
        candidates?.problemId === problemId && <span className="muted">no other search of {searchTitle(tree.search)}</span>
      )}
      {compareError && <ErrorNote message={`Compare: ${compareError}`} />}
    </span>
  );
}
