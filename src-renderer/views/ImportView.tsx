// Starts an import of a problem file on this machine into a dataset; the job then shows in Jobs.
import { useState, type FormEvent } from 'react';
import type { Job, ProblemFormat } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { useApp, useConnection } from '../store';

const FORMATS: { value: '' | ProblemFormat; label: string }[] = [
  { value: '', label: 'Detect from the file' },
  { value: 'jsonl', label: 'Problem JSONL (MM-K12 style)' },
  { value: 'mmprm-seed', label: 'MM-PRM seed JSON' },
  { value: 'parquet', label: 'Hugging Face Parquet' },
];

export function ImportView() {
  const { api } = useConnection();
  const applyJob = useApp((s) => s.applyJob);
  const go = useApp((s) => s.go);
  const [path, setPath] = useState('');
  const [dataset, setDataset] = useState('');
  const [format, setFormat] = useState<'' | ProblemFormat>('');
  const [skipBad, setSkipBad] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<Job | null>(null);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStarted(null);
    try {
      const job = await api['import.start']({
        path: path.trim(),
        dataset: dataset.trim(),
        skipBad,
        ...(format ? { format } : {}),
      });
      applyJob(job);
      setStarted(job);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="import-title">
      <div className="view-head">
        <h2 id="import-title">Import problems</h2>
      </div>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>File on this machine</span>
          <input
            type="text"
            required
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/data/mm-k12/train.jsonl"
            spellCheck={false}
            autoComplete="off"
          />
          <small className="muted">A path the Steplab host can read. Images are looked up beside the file.</small>
        </label>
        <label className="field">
          <span>Dataset name</span>
          <input type="text" required maxLength={200} value={dataset} onChange={(e) => setDataset(e.target.value)} placeholder="mm-k12" autoComplete="off" />
          <small className="muted">A new name creates the dataset; an existing one adds to it.</small>
        </label>
        <label className="field">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as '' | ProblemFormat)}>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} />
          <span>Skip bad lines (report them) instead of failing the import</span>
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start import'}
          </button>
        </div>
      </form>
      {error && <ErrorNote message={error} />}
      {started && (
        <p className="note" role="status">
          Import job #{started.id} started.{' '}
          <button type="button" className="link" onClick={() => go('jobs')}>
            Follow it in Jobs
          </button>
        </p>
      )}
    </section>
  );
}
