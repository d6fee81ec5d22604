// Two searches of the same problem side by side (say OmegaPRM against Math-Shepherd, or two configs):
// both trees, what each cost, and how far their MC labels agree on the step prefixes both estimated,
// said honestly: two searches with the same seed, policy and sampling draw the same rollouts from a
// shared prefix, so their MC agrees there by construction; the second can be run again with another seed.
import { useMemo, useState } from 'react';
import { describeError } from '../errors';
import { useApp, useConnection } from '../store';
import { layoutTree } from '../tree/layout';
import { TreeCanvas } from '../tree/TreeCanvas';
import type { OpenTree, SearchComparison } from '../store/searches';
import './searches.css';

type Costs = SearchComparison['costs'][number];

/** "850 ms", "12.4 s", "3 min 05 s"; a dash when not recorded */
export function fmtDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
const ROWS: { label: string; value(c: Costs): string; title?: string }[] = [
  { label: 'nodes', value: (c) => c.nodes.toLocaleString() },
  { label: 'rollouts', value: (c) => c.rollouts.toLocaleString() },
  { label: 'policy calls', value: (c) => c.policyCalls?.toLocaleString() ?? '–' },
  { label: 'tokens generated', value: (c) => c.tokens?.toLocaleString() ?? '–' },
  { label: 'wall time', value: (c) => fmtDuration(c.wallMs) },
  { label: 'time in the policy', value: (c) => fmtDuration(c.inferenceMs) },
  { label: 'labelled steps', value: (c) => c.labelledSteps?.toLocaleString() ?? '–' },
  { label: 'first errors found', value: (c) => c.firstErrors.toLocaleString() },
  { label: 'tokens per labelled step', value: (c) => (c.tokensPerLabelledStep === null ? '–' : c.tokensPerLabelledStep.toFixed(1)), title: 'the OmegaPRM paper’s cost measure' },
];

function Side({ tree, testId }: { tree: OpenTree; testId: string }) {
  const layout = useMemo(() => layoutTree(tree.nodes), [tree]);
  const [selected, setSelected] = useState<number | null>(null);
  return (
    <div className="compare-side">
      <div className="small">
        <strong>#{tree.search.id}</strong> {tree.search.algorithm} · seed {tree.search.seed ?? '–'} · {layout.total.toLocaleString()} nodes
      </div>
      {layout.problems.length > 0 && <p className="error-text small">{layout.problems[0]}</p>}
      <TreeCanvas layout={layout} selected={selected} onSelect={setSelected} fitKey={tree.search.id} testId={testId} label={`Search #${tree.search.id} tree`} height={340} tools={false} />
    </div>
  );
}

/** When the two drew the same random streams: say so, and offer the second's job again with a seed not used yet. */
function StreamsNote({ comparison }: { comparison: SearchComparison }) {
  const { api } = useConnection();
  const start = useApp((s) => s.startJob);
  const navigate = useApp((s) => s.navigate);
  const candidates = useApp((s) => s.compareCandidates);
  const [started, setStarted] = useState<{ id: number; seed: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const streams = comparison.streams;
  if (!streams) return null;
  const second = comparison.searches[1];
  const used = new Set([...(candidates?.items ?? []), ...comparison.searches].map((x) => x.seed).filter((x): x is number => x !== null));
  let seed = (second.seed ?? 0) + 1;
  while (used.has(seed)) seed++;
  const rerun = async () => {
    setError(null);
    try {
      if (second.jobId === null) throw new Error(`search #${second.id} was not made by a job here (an import): start a search job with another seed from Jobs`);
      const job = await api['jobs.get']({ id: second.jobId });
      // a new annotation set of its own (the job's id names it), the rest as the job ran
      const { annotationSet: _set, ...rest } = job.config as Record<string, unknown>;
      const config = { ...rest, seed };
      const made = await start('search', config);
      setStarted({ id: made.id, seed });
    } catch (e) {
      setError(describeError(e));
    }
  };
  if (!streams.shared) {
    return (
      <p className="small muted" data-testid="compare-streams">
        Random streams: {streams.detail}.
      </p>
    );
  }
  return (
    <div className="note compare-streams small" role="note" data-testid="compare-streams">
      <strong>These two searches drew the same random streams</strong> ({streams.detail}): from every prefix both estimated their rollouts are the same, so their MC labels
      agree there by construction, not because the labels are right. Run the second again with another seed for an independent estimate.{' '}
      <button type="button" onClick={() => void rerun()} disabled={started !== null}>
        Run search job{second.jobId !== null ? ` #${second.jobId}` : ''} again with seed {seed}
      </button>
      {started && (
        <>
          {' '}
          <button type="button" className="link" onClick={() => navigate({ view: 'jobs', dataset: null, jobId: started.id })}>
            job #{started.id} started (seed {started.seed}) →
          </button>
        </>
      )}
      {error && <span className="error-text"> {error}</span>}
    </div>
  );
}

export function CompareSearches({ comparison, trees, onClose }: { comparison: SearchComparison; trees: [OpenTree, OpenTree]; onClose(): void }) {
  const [a, b] = comparison.costs;
  const s = comparison.shared;
  return (
    <section className="compare" aria-label="Compare searches" data-testid="compare">
      <div className="compare-head">
        <h4>
          Search #{a.searchId} ({a.algorithm}) against #{b.searchId} ({b.algorithm}), problem {comparison.problemId}
        </h4>
        <button type="button" onClick={onClose}>
          Close the comparison
        </button>
      </div>
      <StreamsNote comparison={comparison} />
      <div className="compare-trees">
        <Side tree={trees[0]} testId="compare-canvas-a" />
        <Side tree={trees[1]} testId="compare-canvas-b" />
      </div>
      <table className="data-table compare-costs" data-testid="compare-costs">
        <caption>What each search cost</caption>
        <thead>
          <tr>
            <th />
            <th className="num">
              #{a.searchId} {a.algorithm}
            </th>
            <th className="num">
              #{b.searchId} {b.algorithm}
            </th>
          </tr>
        </thead>
        <tbody>
          {ROWS.map((r) => (
            <tr key={r.label}>
              <th scope="row" title={r.title}>
                {r.label}
              </th>
              <td className="num">{r.value(a)}</td>
              <td className="num">{r.value(b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small" data-testid="compare-agreement">
        {s.prefixes === 0
          ? 'The two trees share no estimated step prefix, so their MC labels cannot be compared.'
          : `MC labels (good: MC > 0, bad: MC = 0) on the ${s.prefixes.toLocaleString()} step ${s.prefixes === 1 ? 'prefix' : 'prefixes'} both searches estimated: ${s.agree.toLocaleString()} agree (${((100 * s.agree) / s.prefixes).toFixed(0)}%), mean |ΔMC| ${s.meanAbsDiff?.toFixed(3)}${comparison.streams?.shared ? ' (by construction: the same random streams)' : ''}.`}
      </p>
    </section>
  );
}
