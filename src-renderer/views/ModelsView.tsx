// The workspace's registered models: name@version, role, tokenizer family, where they came from
// (provenance: parent, training data, job) and their manifest. Registering happens in the CLI
// (`steplab models register`, `steplab train-prm`), so this view reads and explains.
import { useEffect, useState } from 'react';
import { ManageButtons } from '../components/ManageDialog';
import { ViewHeader } from '../components/ViewHeader';
import { useApp } from '../store';
import { modelLabel } from '../../src-shared/modelLabel';

/** The provenance fields a researcher looks for first, as short "key: value" lines; the rest stays in the JSON. */
export function provenanceSummary(provenance: unknown): string[] {
  if (!provenance || typeof provenance !== 'object' || Array.isArray(provenance)) return [];
  const p = provenance as Record<string, unknown>;
  const keys = ['parent', 'annotationSet', 'cycle', 'job', 'rows', 'recipe', 'trainingDataHash', 'servedModel', 'tokenizerCheck'];
  return keys
    .filter((k) => p[k] !== undefined && p[k] !== null && typeof p[k] !== 'object')
    .map((k) => `${k}: ${k === 'trainingDataHash' ? String(p[k]).slice(0, 19) + '…' : String(p[k])}`);
}

export function ModelsView() {
  // the models slice (store/models.ts): read again whenever the view opens
  const models = useApp((s) => (s.modelsLoaded ? s.models : null));
  const error = useApp((s) => s.modelsError);
  const load = useApp((s) => s.loadModels);
  const [open, setOpen] = useState<number | null>(null);
  useEffect(() => {
    void load();
  }, [load]);

  const chosen = models?.find((m) => m.id === open) ?? null;
  return (
    <section aria-labelledby="models-title">
      <ViewHeader id="models-title" title="Models" onRefresh={() => void load()} error={error} loading={models === null} />
      {models && models.length === 0 && (
        <p className="empty">
          No models registered. <code>steplab init --demo</code> registers the bundled tiny models; <code>steplab models register &lt;folder&gt;</code> adds your own ONNX model.
        </p>
      )}
      {models && models.length > 0 && (
        <table className="data-table" data-testid="models-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Role</th>
              <th>Family</th>
              <th>Provenance</th>
              <th>Registered</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id} className={m.id === open ? 'chosen' : undefined}>
                <td>
                  <strong>
                    {m.name}@{m.version}
                  </strong>
                  <div className="muted small mono ellipsis" title={m.endpoint ? m.endpoint.urls.join(' ') : m.path}>
                    {m.endpoint ? `endpoint ${m.endpoint.urls.join(' ')}` : m.path}
                  </div>
                </td>
                <td>
                  <span className="chip">{m.role}</span>
                </td>
                <td>{m.family ?? <span className="muted">—</span>}</td>
                <td className="small">
                  {provenanceSummary(m.provenance).map((line) => (
                    <div key={line}>{line}</div>
                  ))}
                  {provenanceSummary(m.provenance).length === 0 && <span className="muted">bundled or registered by hand</span>}
                </td>
                <td className="small">{new Date(m.createdAt).toLocaleString()}</td>
                <td>
                  <span className="row-actions">
                    <button type="button" aria-expanded={m.id === open} onClick={() => setOpen(m.id === open ? null : m.id)}>
                      {m.id === open ? 'Hide details' : 'Details'}
                    </button>
                    <ManageButtons target={{ kind: 'model', ref: m.id, label: modelLabel(m), name: m.name }} after={() => void load()} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {chosen && (
        <div className="detail" data-testid="model-detail">
          <h3>
            {chosen.name}@{chosen.version}
          </h3>
          <h4>Manifest</h4>
          <pre className="mono json-block">{JSON.stringify(chosen.manifest, null, 2)}</pre>
          <h4>Provenance</h4>
          <pre className="mono json-block">{chosen.provenance === null ? 'none recorded' : JSON.stringify(chosen.provenance, null, 2)}</pre>
        </div>
      )}
    </section>
  );
}
