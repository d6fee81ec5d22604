// One problem in full: its images (a missing or unreadable file named inline, the rest still works), the
// question and gold answer rendered with KaTeX, what was made of it (its searches and annotation sets,
// each a link to its tree), its stored solutions grouped by the model that wrote them with verdicts, each
// step's PRM score(s), MC value and gold label, and the solutions × steps heatmap. A step reached from a
// heatmap cell is highlighted and scrolled into view.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Output } from '../../src-shared/api';
import type { ScoredSolution } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { colourOf } from '../heatmap/scale';
import { MathText } from '../math/MathText';
import { ProblemText } from '../components/ProblemText';
import { useApp, useConnection } from '../store';
import { algorithmLabel } from '../store/searches';
import { StepHeatmap } from './CandidateHeatmap';
import { modelLabel } from '../../src-shared/modelLabel';

type Detail = Output<'problems.detail'>;
type ImageState = 'missing' | 'undecodable';

const short = (hash: string): string => `${hash.slice(0, 12)}…`;

function MissingImage({ hash, state, index }: { hash: string; state: ImageState; index: number }) {
  return (
    <div className="image-missing" role="note" data-testid="image-missing" data-hash={hash}>
      <strong>Image {index + 1} {state === 'missing' ? 'is missing' : 'could not be decoded'}</strong> (sha256 <span className="mono">{hash}</span>).{' '}
      {state === 'missing'
        ? "Its file is gone from this workspace's image store (images/" + hash.slice(0, 2) + '/). Re-import the file this problem came from to restore it; the rest of the problem is shown without it.'
        : 'The stored file is not an image the browser can read: re-import the source file, or replace the image in the source and import again.'}
    </div>
  );
}

function ProblemImages({ detail }: { detail: Detail }) {
  const { imageUrl } = useConnection();
  const [broken, setBroken] = useState<Set<string>>(new Set());
  const missing = new Set(detail.missingImages);
  if (detail.problem.images.length === 0) return null;
  return (
    <div className="problem-images">
      {detail.problem.images.map((img, i) =>
        missing.has(img.hash) || broken.has(img.hash) ? (
          <MissingImage key={img.hash} hash={img.hash} index={i} state={missing.has(img.hash) ? 'missing' : 'undecodable'} />
        ) : (
          <figure key={img.hash}>
            <img
              src={imageUrl(img.hash)}
              alt={`Image ${i + 1} of problem ${detail.problem.extId}`}
              onError={() => setBroken((b) => new Set(b).add(img.hash))}
              // a small figure scaled up stays sharp
              className={img.width < 160 ? 'upscaled' : undefined}
            />
            <figcaption>
              {img.width}×{img.height} {img.mime} · <span className="mono">{short(img.hash)}</span>
            </figcaption>
          </figure>
        ),
      )}
    </div>
  );
}

function ScoreChip({ label, value }: { label: string; value: number | null | undefined }) {
  if (value === null || value === undefined) return null;
  return (
    <span className="score-chip" style={{ background: colourOf(value), color: value < 0.15 || value > 0.8 ? '#fff' : '#111' }} title={`${label}: ${value.toFixed(4)}`}>
      {label} {value.toFixed(3)}
    </span>
  );
}

function SolutionCard({ s, prms, current, currentStep }: { s: ScoredSolution; prms: string[]; current: boolean; currentStep?: number }) {
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (current && currentStep !== undefined) ref.current?.scrollIntoView({ block: 'center' });
  }, [current, currentStep]);
  return (
    <article className={current ? 'solution-card current' : 'solution-card'} data-testid="solution" data-solution-id={s.id} data-verdict={s.verdict ?? 'none'}>
      <header>
        <span className="mono small">#{s.id}</span>
        <span className={`verdict-${s.verdict ?? 'none'}`}>{s.verdict ?? 'not verified'}</span>
        <span>
          answer <span className="mono">{s.finalAnswer ?? '–'}</span>
        </span>
        <span className="muted small">{s.origin}</span>
      </header>
      {s.steps.length === 0 && <p className="muted small">No steps stored for this solution.</p>}
      <ol>
        {s.steps.map((st, i) => (
          <li key={i} ref={current && i === currentStep ? ref : undefined} className={current && i === currentStep ? 'current' : undefined} data-step={i}>
            <MathText text={st.text} />
            {prms.map((p) => (
              <ScoreChip key={p} label={prms.length > 1 ? p : 'PRM'} value={s.scores[p]?.[i]} />
            ))}
            <ScoreChip label="MC" value={s.mc?.[i]} />
            {st.goldLabel !== null && <span className="muted small"> · gold {st.goldLabel ? 'right' : 'wrong'}</span>}
          </li>
        ))}
      </ol>
    </article>
  );
}

type Work = Output<'problems.work'>;

/** The problem's searches and annotation sets, each search a link to its tree. */
function ProblemWork({ work, onOpen }: { work: Work; onOpen(searchId: number): void }) {
  if (work.searches.length === 0 && work.annotationSets.length === 0) {
    return <p className="muted small">No search has labelled this problem's steps yet: start a search job on its dataset (Jobs).</p>;
  }
  return (
    <div className="problem-work" data-testid="problem-work">
      {work.searches.length > 0 && (
        <table className="data-table">
          <caption>Searches of this problem</caption>
          <thead>
            <tr>
              <th>search</th>
              <th>algorithm</th>
              <th className="num">nodes</th>
              <th className="num">seed</th>
              <th>stopped</th>
            </tr>
          </thead>
          <tbody>
            {work.searches.map((x) => (
              <tr key={x.id} data-testid="problem-search">
                <td>
                  <button type="button" className="link" onClick={() => onOpen(x.id)}>
                    Search #{x.id}
                  </button>
                </td>
                <td>{algorithmLabel(x.algorithm)}</td>
                <td className="num">{String(x.stats.nodes ?? '?')}</td>
                <td className="num">{x.seed ?? '–'}</td>
                <td>{x.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {work.annotationSets.length > 0 && (
        <p className="small" data-testid="problem-annotation-sets">
          Annotation sets:{' '}
          {work.annotationSets.map((a, i) => (
            <span key={a.name}>
              {i > 0 && ' · '}
              <span className="mono">{a.name}</span> ({a.annotations} path{a.annotations === 1 ? '' : 's'}
              {a.curated > 0 ? `, ${a.curated} curated` : ''}
              {a.searchIds.length > 0 && (
                <>
                  {' from '}
                  {a.searchIds.map((sid, j) => (
                    <span key={sid}>
                      {j > 0 && ', '}
                      <button type="button" className="link" onClick={() => onOpen(sid)}>
                        #{sid}
                      </button>
                    </span>
                  ))}
                </>
              )}
              )
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

export function ProblemView({ id, solution, step, dataset, extId }: { id: number; solution?: number; step?: number; dataset: string | null; extId?: string }) {
  const { api } = useConnection();
  const navigate = useApp((s) => s.navigate);
  const go = useApp((s) => s.go);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [solutions, setSolutions] = useState<ScoredSolution[] | null>(null);
  const models = useApp((s) => s.models);
  const loadModels = useApp((s) => s.loadModels);
  const [error, setError] = useState<string | null>(null);
  const [solError, setSolError] = useState<string | null>(null);
  const [prm, setPrm] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [work, setWork] = useState<Work | null>(null);

  useEffect(() => {
    let live = true;
    setDetail(null);
    setSolutions(null);
    setWork(null);
    api['problems.work']({ id }).then(
      (w) => live && setWork(w),
      () => live && setWork({ searches: [], annotationSets: [] }),
    );
    api['problems.detail']({ id }).then(
      (d) => live && (setDetail(d), setError(null)),
      (e: unknown) => live && setError(describeError(e)),
    );
    // solutions load on their own: a failure there leaves the problem readable
    api['solutions.forProblem']({ problemId: id }).then(
      (s) => live && (setSolutions(s), setSolError(null)),
      (e: unknown) => live && setSolError(describeError(e)),
    );
    void loadModels();
    return () => {
      live = false;
    };
  }, [api, id, reload, loadModels]);

  const prms = useMemo(() => [...new Set((solutions ?? []).flatMap((s) => Object.keys(s.scores)))].sort(), [solutions]);
  const shownPrm = prm && prms.includes(prm) ? prm : prms[0] ?? null;
  const groups = useMemo(() => {
    const name = (mid: number | null) => {
      const m = models.find((x) => x.id === mid);
      return m ? modelLabel(m) : mid === null ? 'no model (imported)' : `model ${mid}`;
    };
    const byModel = new Map<string, ScoredSolution[]>();
    for (const s of solutions ?? []) byModel.set(name(s.modelId), [...(byModel.get(name(s.modelId)) ?? []), s]);
    return [...byModel];
  }, [solutions, models]);

  const back = () => (dataset ? go('problems', dataset) : go('problems'));
  const openStep = (sol: number, st: number) =>
    navigate({ view: 'problems', dataset, focus: extId && dataset ? { kind: 'ref', extId, solution: sol, step: st } : { kind: 'problem', id, solution: sol, step: st } });
  const openSearch = (searchId: number) => navigate({ view: 'searches', dataset, search: searchId });

  if (error) {
    return (
      <section className="problem-view">
        <button type="button" className="link" onClick={back}>
          ← Problems{dataset ? ` in ${dataset}` : ''}
        </button>
        <ErrorNote message={error} onRetry={() => setReload((n) => n + 1)} />
      </section>
    );
  }
  if (!detail) return <p className="muted">Loading problem…</p>;
  const p = detail.problem;
  return (
    <section className="problem-view" aria-labelledby="problem-title">
      <div className="view-head">
        <h2 id="problem-title">
          Problem <span className="mono">{p.extId}</span>
          {dataset && <span className="muted"> in {dataset}</span>}
        </h2>
        <div>
          <button type="button" className="link" onClick={back}>
            ← Problems{dataset ? ` in ${dataset}` : ''}
          </button>
          {dataset && (
            <>
              {' · '}
              <button type="button" className="link" onClick={() => navigate({ view: 'problems', dataset, focus: { kind: 'heatmap' } })}>
                Dataset heatmap
              </button>
            </>
          )}
        </div>
      </div>
      <div className="muted small">
        {p.split ? `split ${p.split} · ` : ''}
        {p.answerType} answer{p.source ? ` · source ${p.source}` : ''} · id {p.id}
      </div>
      <ProblemImages detail={detail} />
      <ProblemText problem={p} questionClass="question-text" questionTestId="question" goldClass="gold" />

      <h3>Searches and step labels</h3>
      {work ? <ProblemWork work={work} onOpen={openSearch} /> : <p className="muted small">Loading its searches…</p>}

      <h3>Solutions</h3>
      {solError && <ErrorNote message={solError} onRetry={() => setReload((n) => n + 1)} />}
      {solutions && solutions.length === 0 && (
        <p className="muted">
          No stored solutions for this problem (a generate or Best-of-N job stores them; Jobs).
          {work && work.searches.length > 0 ? ' Its step labels are in the searches above.' : ''}
        </p>
      )}
      {solutions && solutions.length > 0 && (
        <>
          <p className="muted small">
            {solutions.length} solutions, {solutions.filter((s) => s.verdict === 'correct').length} verified correct.
            {prms.length > 1 && (
              <label>
                {' '}
                heatmap PRM{' '}
                <select aria-label="PRM" value={shownPrm ?? ''} onChange={(e) => setPrm(e.target.value)}>
                  {prms.map((x) => (
                    <option key={x}>{x}</option>
                  ))}
                </select>
              </label>
            )}
          </p>
          {solutions.some((s) => s.steps.length > 0) && (
            <StepHeatmap
              rows={solutions}
              prm={shownPrm ?? 'none has scored these'}
              onOpen={openStep}
              current={solution !== undefined && step !== undefined ? { sol: solution, step } : undefined}
            />
          )}
          {groups.map(([model, sols]) => (
            <div className="model-group" key={model} data-testid="model-group">
              <h4>
                {model} <span className="muted small">· {sols.length} solutions, {sols.filter((s) => s.verdict === 'correct').length} correct</span>
              </h4>
              {sols.map((s) => (
                <SolutionCard key={s.id} s={s} prms={prms} current={s.id === solution} currentStep={s.id === solution ? step : undefined} />
              ))}
            </div>
          ))}
        </>
      )}
      {!solutions && !solError && <p className="muted">Loading solutions…</p>}
    </section>
  );
}
