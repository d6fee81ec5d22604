// Launching a MathSE cycle run: a form over the settings a researcher changes most, and the whole config
// as JSON in Monaco, checked as it is typed against src-shared's CycleConfig (the schema the core checks a
// run with). The core's own checks (the dataset's splits, the models' roles, the trainer) answer on Start,
// and their one-line reason is shown here.
import { useMemo, useState } from 'react';
import { FieldControl } from '../components/FieldControl';
import { ConfigEditor } from '../config/ConfigEditor';
import { CYCLE_LAUNCH_SCHEMA, CYCLE_TEMPLATE, cycleFields, cycleFieldValue, fieldChecked, fieldText, firstIssue, type CycleField } from '../cycles/form';
import { setField, type Config } from '../jobs/form';
import { useConfigEditor, useLaunch } from '../jobs/useConfigEditor';
import { useApp } from '../store';

function Field({ field, config, onChange }: { field: CycleField; config: Config; onChange(value: unknown): void }) {
  return (
    <FieldControl
      id={`cycle-${field.path.join('-')}`}
      label={field.label}
      kind={field.kind}
      text={field.kind === 'checkbox' ? '' : fieldText(field, config)}
      checked={field.kind === 'checkbox' ? fieldChecked(field, config) : undefined}
      choices={field.choices}
      min={field.min}
      help={field.help}
      onText={(v) => onChange(cycleFieldValue(field, v))}
      onChecked={(v) => onChange(v)}
    />
  );
}

export function CycleLaunch({ open }: { open: boolean }) {
  const start = useApp((s) => s.startCycles);
  const datasets = useApp((s) => s.datasets);
  const models = useApp((s) => s.models);
  const { config, text, textError, replace, editText } = useConfigEditor(CYCLE_TEMPLATE);
  const [jsonOpen, setJsonOpen] = useState(false);
  const { busy, error, started, setError, launch: startRun } = useLaunch();
  const issue = useMemo(() => firstIssue(config), [config]);
  const fields = useMemo(() => cycleFields(config, { datasets, models }), [config, datasets, models]);

  const edit = (path: string[], value: unknown): void => replace(setField(config, path, value));
  const reset = (): void => {
    replace(CYCLE_TEMPLATE);
    setError(null);
  };

  const launch = (): Promise<void> => startRun({ textError, issue }, () => start(config));

  return (
    <details className="launch cycle-launch" open={open} data-testid="cycle-launch">
      <summary>Start a cycle run</summary>
      <div className="launch-form" data-testid="cycle-form">
        {fields.map((f) => (
          <Field key={f.path.join('.')} field={f} config={config} onChange={(v) => edit(f.path, v)} />
        ))}
      </div>
      <details className="launch-json" onToggle={(e) => setJsonOpen(e.currentTarget.open)}>
        <summary>The whole config as JSON (every setting of CycleConfig: collect, regenerate, build, learning rate …)</summary>
        {jsonOpen && <ConfigEditor value={text} onChange={editText} schema={CYCLE_LAUNCH_SCHEMA} ariaLabel="Cycle config (JSON)" testId="cycle-json" height={320} />}
      </details>
      <div className="launch-row">
        <button type="button" className="primary" disabled={busy} onClick={() => void launch()}>
          {busy ? 'Starting…' : 'Start run'}
        </button>
        <button type="button" onClick={reset}>
          Reset to the demo template
        </button>
        {!error && (textError || issue) && <span className="error-text small">{textError ?? issue}</span>}
      </div>
      {error && (
        <p role="alert" className="error-text" data-testid="cycle-start-error">
          {error}
        </p>
      )}
      {started !== null && <p role="status">Job #{started} started; its run opens below as soon as it begins.</p>}
    </details>
  );
}
