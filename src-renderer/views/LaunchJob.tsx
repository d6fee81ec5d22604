// Launching a search or a Best-of-N evaluation: a form over the fields a researcher changes most, and the
// whole config as JSON in Monaco for the rest, checked as it is typed against the kind's schema from
// src-shared (the one the core checks jobs with; a bad field is marked on its key and listed by line).
import { useEffect, useMemo, useState } from 'react';
import type { z } from 'zod';
import type { ModelRecord } from '../../src-shared/domain';
import { LAUNCH_SCHEMAS } from '../../src-shared/jobConfigs';
import { FieldControl } from '../components/FieldControl';
import { ConfigEditor } from '../config/ConfigEditor';
import { describeError } from '../errors';
import { fieldValue, formFields, getField, parseConfigText, setField, TEMPLATES, type Config, type FormField, type LaunchKind } from '../jobs/form';
import { useApp, useConnection } from '../store';

const pretty = (c: Config): string => JSON.stringify(c, null, 2);

function Field({ field, config, onChange }: { field: FormField; config: Config; onChange(value: unknown): void }) {
  const value = getField(config, field.path);
  const text = value === undefined || value === null ? (field.defaultValue ?? '') : String(value);
  return (
    <FieldControl
      id={`launch-${field.path.join('-')}`}
      label={field.label}
      kind={field.kind}
      text={text}
      choices={field.choices}
      min={field.min}
      help={field.help}
      onText={(v) => onChange(fieldValue(field, v))}
    />
  );
}

export function LaunchJob() {
  const start = useApp((s) => s.startJob);
  const datasets = useApp((s) => s.datasets);
  const { api } = useConnection();
  const [models, setModels] = useState<ModelRecord[]>([]);
  const [kind, setKind] = useState<LaunchKind>('search');
  const [config, setConfig] = useState<Config>(TEMPLATES.search);
  const [text, setText] = useState(pretty(TEMPLATES.search));
  const [textError, setTextError] = useState<string | null>(null);
  const [jsonOpen, setJsonOpen] = useState(false);
  // the config against the kind's schema, whether or not the JSON editor is open (it lists every issue by line)
  const schema: z.ZodType = LAUNCH_SCHEMAS[kind];
  const check = useMemo(() => schema.safeParse(config), [schema, config]);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);

  useEffect(() => {
    api['models.list']({}).then(setModels, (e: unknown) => setError(describeError(e)));
  }, [api]);

  const fields = useMemo(() => formFields(kind, config, { datasets, models }), [kind, config, datasets, models]);

  /** a form edit: the JSON follows */
  const edit = (path: string[], value: unknown): void => {
    const next = setField(config, path, value);
    setConfig(next);
    setText(pretty(next));
    setTextError(null);
  };
  /** a JSON edit: the form follows while the text is a JSON object */
  const editText = (t: string): void => {
    setText(t);
    const parsed = parseConfigText(t);
    if ('config' in parsed) {
      setConfig(parsed.config);
      setTextError(null);
    } else {
      setTextError(parsed.error);
    }
  };
  const chooseKind = (k: LaunchKind): void => {
    setKind(k);
    setConfig(TEMPLATES[k]);
    setText(pretty(TEMPLATES[k]));
    setTextError(null);
    setError(null);
  };

  const launch = async (): Promise<void> => {
    setStarted(null);
    if (textError) return setError(textError);
    if (!check.success) {
      const issue = check.error.issues[0];
      return setError(`the config has a problem: ${issue?.path.join('.') || '(the whole config)'}: ${issue?.message}; fix it in the form or the JSON`);
    }
    try {
      const job = await start(kind, config);
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
          <select aria-label="Job kind" value={kind} onChange={(e) => chooseKind(e.target.value as LaunchKind)}>
            <option value="search">search (step labels by OmegaPRM or MC)</option>
            <option value="bon">Best-of-N evaluation</option>
          </select>
        </label>
        <button type="button" onClick={() => void launch()}>
          Start
        </button>
      </div>
      <div className="launch-form" data-testid="launch-form">
        {fields.map((f) => (
          <Field key={f.path.join('.')} field={f} config={config} onChange={(v) => edit(f.path, v)} />
        ))}
      </div>
      <details className="launch-json" onToggle={(e) => setJsonOpen(e.currentTarget.open)}>
        <summary>Advanced: the whole config as JSON</summary>
        {/* Monaco is a big chunk: it loads when the JSON is first opened */}
        {jsonOpen && <ConfigEditor value={text} onChange={editText} schema={schema} ariaLabel="Job config (JSON)" testId="launch-json" height={300} />}
      </details>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {started !== null && <p role="status">Job #{started} started; its progress is in the list below.</p>}
    </details>
  );
}
