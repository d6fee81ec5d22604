// Launching a search or a Best-of-N evaluation: the job's config as JSON, prefilled with a small run on
// the demo workspace; the core checks it against the job's schema and a bad field is named inline.
import { useState } from 'react';
import { describeError } from '../errors';
import { useApp } from '../store';

const TEMPLATES = {
  search: {
    dataset: 'demo',
    model: 'tiny-policy',
    algo: 'omega',
    split: 'train',
    limit: 5,
    seed: 0,
    config: { maxSearchCount: 20, rolloutBudget: 200, rolloutsPerState: 8, lengthScale: 50 },
  },
  bon: { dataset: 'demo', split: 'test', selectOn: 'val', policy: 'tiny-policy', prm: 'tiny-prm', n: 4, limit: 20, seed: 0 },
} as const;
type Kind = keyof typeof TEMPLATES;

export function LaunchJob() {
  const start = useApp((s) => s.startJob);
  const [kind, setKind] = useState<Kind>('search');
  const [text, setText] = useState(JSON.stringify(TEMPLATES.search, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);

  const launch = async (): Promise<void> => {
    setStarted(null);
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (e) {
      return setError(`not valid JSON: ${(e as Error).message}`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return setError('the config must be a JSON object');
    try {
      const job = await start(kind, config as Record<string, unknown>);
      setError(null);
      setStarted(job.id);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <details className="launch" open>
      <summary>Start a job</summary>
      <div className="launch-row">
        <label>
          kind{' '}
          <select
            aria-label="Job kind"
            value={kind}
            onChange={(e) => {
              const k = e.target.value as Kind;
              setKind(k);
              setText(JSON.stringify(TEMPLATES[k], null, 2));
              setError(null);
            }}
          >
            <option value="search">search (step labels by OmegaPRM or MC)</option>
            <option value="bon">Best-of-N evaluation</option>
          </select>
        </label>
        <button type="button" onClick={() => void launch()}>
          Start
        </button>
      </div>
      <textarea aria-label="Job config (JSON)" className="mono" rows={12} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {started !== null && <p role="status">Job #{started} started; its progress is in the list below.</p>}
    </details>
  );
}
