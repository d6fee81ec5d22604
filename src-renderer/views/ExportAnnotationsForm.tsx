// Exports annotations as PRM training data from the UI: dataset, annotation set, format, the curation
// filter (all / curated only / uncurated only), original labels instead of curated ones, rejected paths
// kept or not, soft labels (MC floats) instead of booleans or reward tokens where the format has both
// (trl, openrlhf), and the output file (a path on the machine running the core).
import { useEffect, useState } from 'react';
import { AnnotationExportFormat, ProblemExportFormat } from '../../src-shared/domain';
import { describeError } from '../errors';
import { ErrorNote } from '../components/ErrorNote';
import { useApp, useConnection } from '../store';

type Curation = 'all' | 'curated' | 'uncurated';

/** sets: the annotation sets to offer (default: those of the open search); open: shown unfolded */
export function ExportAnnotationsForm({ sets: givenSets, open = false }: { sets?: string[]; open?: boolean } = {}) {
  const datasets = useApp((s) => s.datasets);
  const loadDatasets = useApp((s) => s.loadDatasets);
  const annotations = useApp((s) => s.annotations);
  const run = useApp((s) => s.exportAnnotations);
  const result = useApp((s) => s.exportResult);
  const error = useApp((s) => s.exportError);
  const [dataset, setDataset] = useState('');
  const [setName, setSetName] = useState('');
  const [format, setFormat] = useState<AnnotationExportFormat>('trl');
  const [curation, setCuration] = useState<Curation>('all');
  const [original, setOriginal] = useState(false);
  const [includeRejected, setIncludeRejected] = useState(false);
  const [soft, setSoft] = useState(false);
  const hasSoft = format === 'trl' || format === 'openrlhf';
  const [out, setOut] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (datasets.length === 0) void loadDatasets();
  }, [datasets.length, loadDatasets]);
  const sets = givenSets ?? [...new Set(annotations.map((a) => a.setName))];
  const chosenDataset = dataset || datasets[0]?.name || '';
  return (
    <details className="export-form" data-testid="export-annotations" open={open || undefined}>
      <summary>Export annotations</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void run({ dataset: chosenDataset, format, out: out.trim(), curation, labels: original ? 'original' : 'curated', includeRejected, ...(hasSoft && soft ? { softLabels: true } : {}), ...(setName ? { setName } : {}) }).finally(() => setBusy(false));
        }}
      >
        <label>
          Dataset{' '}
          <select aria-label="Dataset" value={chosenDataset} onChange={(e) => setDataset(e.target.value)}>
            {datasets.map((d) => (
              <option key={d.id}>{d.name}</option>
            ))}
          </select>
        </label>
        <label>
          Set{' '}
          <select aria-label="Annotation set" value={setName} onChange={(e) => setSetName(e.target.value)}>
            <option value="">every set</option>
            {sets.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Format{' '}
          <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as AnnotationExportFormat)}>
            {AnnotationExportFormat.options.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <label>
          Filter{' '}
          <select aria-label="Curation filter" value={curation} onChange={(e) => setCuration(e.target.value as Curation)}>
            <option value="all">all (curated labels applied)</option>
            <option value="curated">curated only</option>
            <option value="uncurated">uncurated only</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={original} onChange={(e) => setOriginal(e.target.checked)} /> original labels and texts
        </label>
        <label>
          <input type="checkbox" checked={includeRejected} onChange={(e) => setIncludeRejected(e.target.checked)} /> include rejected paths
        </label>
        {hasSoft && (
          <label title="MC values (or curated soft labels) as numbers, instead of good/bad by MC > 0">
            <input type="checkbox" checked={soft} onChange={(e) => setSoft(e.target.checked)} /> soft labels (MC floats)
          </label>
        )}
        <label className="export-out">
          Output file{' '}
          <input type="text" aria-label="Output file" placeholder="/path/to/prm-train.jsonl" value={out} onChange={(e) => setOut(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || !chosenDataset || out.trim() === ''}>
          Export
        </button>
      </form>
      {error && <ErrorNote message={error} />}
      {result && (
        <p className="small" role="status" data-testid="export-result">
          Wrote {result.written} annotation{result.written === 1 ? '' : 's'} to <span className="mono">{result.path}</span>
        </p>
      )}
    </details>
  );
}

/** A dataset's problems as the import format (JSONL, images beside it) or MM-PRM's seed JSON array. */
export function ExportProblemsForm() {
  const { api } = useConnection();
  const datasets = useApp((s) => s.datasets);
  const [dataset, setDataset] = useState('');
  const [split, setSplit] = useState('');
  const [format, setFormat] = useState<ProblemExportFormat>('jsonl');
  const [out, setOut] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ written: number; images: number; path: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chosen = dataset || datasets[0]?.name || '';
  const splits = Object.keys(datasets.find((d) => d.name === chosen)?.splits ?? {}).sort();
  return (
    <details className="export-form" data-testid="export-problems" open>
      <summary>Export problems</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setResult(null);
          setError(null);
          api['export.problems']({ dataset: chosen, format, out: out.trim(), ...(split ? { split } : {}) })
            .then(setResult, (x: unknown) => setError(describeError(x)))
            .finally(() => setBusy(false));
        }}
      >
        <label>
          Dataset{' '}
          <select aria-label="Dataset to export" value={chosen} onChange={(e) => (setDataset(e.target.value), setSplit(''))}>
            {datasets.map((d) => (
              <option key={d.id}>{d.name}</option>
            ))}
          </select>
        </label>
        <label>
          Split{' '}
          <select aria-label="Split to export" value={split} onChange={(e) => setSplit(e.target.value)}>
            <option value="">all splits</option>
            {splits.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </label>
        <label>
          Format{' '}
          <select aria-label="Problem format" value={format} onChange={(e) => setFormat(e.target.value as ProblemExportFormat)}>
            {ProblemExportFormat.options.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <label className="export-out">
          Output file{' '}
          <input type="text" aria-label="Problems output file" placeholder="/path/to/problems.jsonl" value={out} onChange={(e) => setOut(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || !chosen || out.trim() === ''}>
          Export
        </button>
      </form>
      {error && <ErrorNote message={error} />}
      {result && (
        <p className="small" role="status" data-testid="export-problems-result">
          Wrote {result.written} problem{result.written === 1 ? '' : 's'} and {result.images} image{result.images === 1 ? '' : 's'} to <span className="mono">{result.path}</span>
        </p>
      )}
    </details>
  );
}
