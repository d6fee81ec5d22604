// Starting any job from the UI: a search, generation, PRM scoring, Best-of-N or PRM training from a form
// over the fields a researcher changes most, with the whole config as JSON in Monaco for the rest, both
// checked as they are typed against the kind's schema from src-shared (the one the CLI and the core check
// jobs with: a bad field is named live, marked on its key and listed by line). On Start the core's
// pre-flight refuses in one line what would fail later (an unknown model, a model of another role, a
// trainer without PyTorch: with how to install it). A cycle run uses its own form; exports write files.
import { useEffect, useMemo, useState } from 'react';
import type { ModelRecord } from '../../src-shared/domain';
import { FieldControl } from '../components/FieldControl';
import { ConfigEditor } from '../config/ConfigEditor';
import { describeError } from '../errors';
import { fieldValue, formFields, getField, LAUNCH_KIND_LABEL, LAUNCH_KINDS, launchSchema, parseConfigText, setField, TEMPLATES, type Config, type FormContext, type FormField, type LaunchKind } from '../jobs/form';
import { useApp, useConnection } from '../store';
import { CycleLaunch } from './CycleLaunch';
import { ExportAnnotationsForm, ExportProblemsForm } from './ExportAnnotationsForm';

const pretty = (c: Config): string => JSON.stringify(c, null, 2);

function Field({ field, config, onChange }: { field: FormField; config: Config; onChange(next: Config): void }) {
  const id = `launch-${field.path.join('-')}`;
  if (field.kind === 'checkbox') {
    return <FieldControl id={id} label={field.label} kind="checkbox" text="" checked={getField(config, field.path) === true} onText={() => undefined} onChecked={(v) => onChange(setField(config, field.path, v || undefined))} />;
  }
  const value = field.read ? field.read(config) : getField(config, field.path);
  const text = value === undefined || value === null ? (field.defaultValue ?? '') : String(value);
  return (
    <FieldControl
      id={id}
      label={field.label}
      kind={field.kind}
      text={text}
      choices={field.choices}
      min={field.min}
      help={field.help}
      onText={(v) => onChange(field.write ? field.write(config, v) : setField(config, field.path, fieldValue(field, v)))}
    />
  );
}

type Kind = LaunchKind | 'cycle' | 'export';

export function LaunchJob() {
  const start = useApp((s) => s.startJob);
  const datasets = useApp((s) => s.datasets);
  const jobs = useApp((s) => s.jobs);
  const loadCycleModels = useApp((s) => s.loadCycleModels);
  const { api } = useConnection();
  const [models, setModels] = useState<ModelRecord[]>([]);
  const [sets, setSets] = useState<string[]>([]);
  const [kind, setKind] = useState<Kind>('search');
  const [config, setConfig] = useState<Config>(TEMPLATES.search);
  const [text, setText] = useState(pretty(TEMPLATES.search));
  const [textError, setTextError] = useState<string | null>(null);
  const [jsonOpen, setJsonOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const jobKind: LaunchKind | null = kind === 'cycle' || kind === 'export' ? null : kind;
  // the config against the kind's schema, live, whether or not the JSON editor is open (it lists every issue by line)
  const check = useMemo(() => (jobKind ? launchSchema(jobKind).safeParse(config) : null), [jobKind, config]);
  const issue = check && !check.success ? check.error.issues[0] : null;
  const issueText = issue ? `${issue.path.join('.') || '(the whole config)'}: ${issue.message}` : null;

  useEffect(() => {
    api['models.list']({}).then(setModels, (e: unknown) => setError(describeError(e)));
    api['annotations.sets']({}).then(
      (s) => setSets(s.map((x) => x.name)),
      () => undefined,
    );
  }, [api, started]);
  useEffect(() => {
    if (kind === 'cycle') void loadCycleModels();
  }, [kind, loadCycleModels]);

  const ctx: FormContext = useMemo(
    () => ({
      datasets,
      models,
      annotationSets: sets,
      searchJobs: jobs.flatMap((j) => {
        const ids = (j.result as { searchIds?: unknown } | null)?.searchIds;
        if (j.kind !== 'search' || j.state !== 'done' || !Array.isArray(ids) || ids.length === 0) return [];
        const c = j.config as { algo?: string; dataset?: string; split?: string };
        return [{ id: j.id, label: `job #${j.id}: ${c.algo === 'mc' ? 'Math-Shepherd' : 'OmegaPRM'} on ${c.dataset ?? '?'}${c.split ? `/${c.split}` : ''} (${ids.length} searches)`, searchIds: ids as number[] }];
      }),
    }),
    [datasets, models, sets, jobs],
  );
  const fields = useMemo(() => (jobKind ? formFields(jobKind, config, ctx) : []), [jobKind, config, ctx]);

  /** a form edit: the JSON follows */
  const edit = (next: Config): void => {
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
  const chooseKind = (k: Kind): void => {
    setKind(k);
    setError(null);
    setStarted(null);
    if (k === 'cycle' || k === 'export') return;
    const first = k === 'train-prm' && sets.length ? { ...TEMPLATES[k], annotations: sets[0] } : TEMPLATES[k];
    setConfig(first);
    setText(pretty(first));
    setTextError(null);
  };

  const launch = async (): Promise<void> => {
    if (!jobKind) return;
    setStarted(null);
    if (textError) return setError(textError);
    if (issueText) return setError(`the config has a problem: ${issueText}; fix it in the form or the JSON`);
    setBusy(true);
    try {
      const job = await start(jobKind, config);
      setError(null);
      setStarted(job.id);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="launch" open data-testid="launch">
      <summary>Start a job</summary>
      <div className="launch-row">
        <label>
          kind{' '}
          <select aria-label="Job kind" value={kind} onChange={(e) => chooseKind(e.target.value as Kind)}>
            {LAUNCH_KINDS.map((k) => (
              <option key={k} value={k}>
                {LAUNCH_KIND_LABEL[k]}
              </option>
            ))}
            <option value="cycle">cycle run (MathSE)</option>
            <option value="export">export (problems or PRM training data)</option>
          </select>
        </label>
        {jobKind && (
          <button type="button" className="primary" disabled={busy} onClick={() => void launch()}>
            {busy ? 'Starting…' : 'Start'}
          </button>
        )}
        {jobKind && !error && (textError || issueText) && (
          <span className="error-text small" data-testid="launch-issue">
            not ready: {textError ?? issueText}
          </span>
        )}
      </div>
      {jobKind && (
        <>
          <div className="launch-form" data-testid="launch-form">
            {fields.map((f) => (
              <Field key={f.path.join('.')} field={f} config={config} onChange={edit} />
            ))}
          </div>
          <details className="launch-json" onToggle={(e) => setJsonOpen(e.currentTarget.open)}>
            <summary>Advanced: the whole config as JSON</summary>
            {/* Monaco is a big chunk: it loads when the JSON is first opened */}
            {jsonOpen && <ConfigEditor value={text} onChange={editText} schema={launchSchema(jobKind)} ariaLabel="Job config (JSON)" testId="launch-json" height={300} />}
          </details>
          {error && (
            <p role="alert" className="error-text" data-testid="launch-error">
              {error}
            </p>
          )}
          {started !== null && <p role="status">Job #{started} started; its progress is in the list below.</p>}
        </>
      )}
      {kind === 'cycle' && <CycleLaunch open />}
      {kind === 'export' && (
        <div className="launch-exports">
          <ExportProblemsForm />
          <ExportAnnotationsForm sets={sets} open />
        </div>
      )}
    </details>
  );
}
