// Starting any job from the UI: a search, generation, PRM scoring, Best-of-N, PRM training, a PRM's
// benchmark run or an import of step labels from a form over the fields a researcher changes most, with
// the whole config as JSON in Monaco for the rest, both checked as they are typed against the kind's schema
// from src-shared (the one the CLI and the core check jobs with: a bad field is named under it, marked on
// its key and listed by line). While the config is valid the core's pre-flight is asked (jobs.check) and
// what it would refuse is said in one line before Start (an unknown model, a PRM without its tokens, an
// endpoint that does not answer, a trainer without PyTorch: with how to install it); Start asks again.
// import-labels reads a path: over the headless host (browser mode) its form is replaced by the CLI
// command. A cycle run uses its own form; exports write files.
import { useEffect, useMemo, useRef, useState } from 'react';
import { FieldControl } from '../components/FieldControl';
import { ConfigEditor } from '../config/ConfigEditor';
import { describeError } from '../errors';
import { jobLink } from '../jobs/describe';
import {
  cliCommand,
  fieldIssues,
  isBenchImport,
  fieldValue,
  formFields,
  getField,
  LAUNCH_KIND_LABEL,
  LAUNCH_KINDS,
  launchSchema,
  LOCAL_KINDS,
  readScoresFile,
  setField,
  TEMPLATES,
  type Config,
  type FieldChoice,
  type FormContext,
  type FormField,
  type LaunchKind,
} from '../jobs/form';
import { useApp, useAppStore, useConnection } from '../store';
import { CycleLaunch } from './CycleLaunch';
import { ExportAnnotationsForm, ExportProblemsForm } from './ExportAnnotationsForm';
import { formatZodIssue } from '../../src-shared/zodMessage';
import { useConfigEditor, useLaunch } from '../jobs/useConfigEditor';

/** How long the form waits after an edit before it asks the core's pre-flight. */
const CHECK_DELAY_MS = 400;

/** A file of this computer read into the config (bench-prm's scores file): its name and lines once read, or why not. */
function FileField({ id, field, config, onChange, error }: { id: string; field: FormField; config: Config; onChange(next: Config): void; error?: string | null }) {
  const [fileError, setFileError] = useState<string | null>(null);
  const scores = getField(config, field.path) as { file?: string; lines?: unknown[] } | undefined;
  const shown = fileError ?? error;
  return (
    <label className="field" htmlFor={id}>
      <span>{field.label}</span>
      <input
        id={id}
        type="file"
        accept=".jsonl,.json,.txt"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (!file) return;
          void file.text().then(
            (text) =>
              readScoresFile(file.name, text).then(
                (parsed) => {
                  setFileError(null);
                  onChange(setField(config, field.path, parsed));
                },
                (err: unknown) => {
                  setFileError(err instanceof Error ? err.message : String(err));
                  onChange(setField(config, field.path, undefined));
                },
              ),
            (err: unknown) => setFileError(`${file.name}: cannot be read (${String(err)})`),
          );
        }}
        {...(shown ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {})}
      />
      {scores?.file && !fileError ? (
        <small className="muted">
          {scores.file}: {scores.lines?.length ?? 0} lines
        </small>
      ) : (
        <small className="muted">{field.help}</small>
      )}
      {shown && (
        <small id={`${id}-error`} className="error-text field-error" data-testid="field-error">
          {shown}
        </small>
      )}
    </label>
  );
}

function Field({ field, config, onChange, error }: { field: FormField; config: Config; onChange(next: Config): void; error?: string | null }) {
  const id = `launch-${field.path.join('-')}`;
  if (field.kind === 'file') return <FileField id={id} field={field} config={config} onChange={onChange} error={error} />;
  if (field.kind === 'checkbox') {
    return (
      <FieldControl
        id={id}
        label={field.label}
        kind="checkbox"
        text=""
        checked={getField(config, field.path) === true}
        error={error}
        onText={() => undefined}
        onChecked={(v) => onChange(setField(config, field.path, v || undefined))}
      />
    );
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
      error={error}
      onText={(v) => onChange(field.write ? field.write(config, v) : setField(config, field.path, fieldValue(field, v)))}
    />
  );
}

type Kind = LaunchKind | 'cycle' | 'export';

export function LaunchJob() {
  const start = useApp((s) => s.startJob);
  const datasets = useApp((s) => s.datasets);
  const jobs = useApp((s) => s.jobs);
  const models = useApp((s) => s.models);
  const loadModels = useApp((s) => s.loadModels);
  const appStore = useAppStore();
  const navigate = useApp((s) => s.navigate);
  const cycleRuns = useApp((s) => s.cycleRuns);
  const workspacePath = useApp((s) => s.workspace?.path ?? '');
  const { api, local } = useConnection();
  const [labelFormats, setLabelFormats] = useState<FieldChoice[]>([]);
  const [refused, setRefused] = useState<string | null>(null);
  const asked = useRef(0);
  const [sets, setSets] = useState<string[]>([]);
  const [kind, setKind] = useState<Kind>('search');
  const { config, text, textError, replace: edit, editText } = useConfigEditor(TEMPLATES.search);
  const [jsonOpen, setJsonOpen] = useState(false);
  const { busy: starting, error, started, setError, setStarted, launch: startJob } = useLaunch();
  const importBenchmark = useApp((s) => s.importBenchmark);
  // a benchmark import (not a job): running, and what it added
  const [importing, setBusy] = useState(false);
  const [imported, setImported] = useState<string | null>(null);
  const busy = starting || importing;
  const jobKind: LaunchKind | null = kind === 'cycle' || kind === 'export' ? null : kind;
  // the config against the kind's schema, live, whether or not the JSON editor is open (it lists every issue by line)
  const check = useMemo(() => (jobKind ? launchSchema(jobKind).safeParse(config) : null), [jobKind, config]);
  const issue = check && !check.success ? check.error.issues[0] : null;
  const issueText = issue ? formatZodIssue(issue, { empty: '(the whole config)' }) : null;
  // a kind this door does not serve (import-labels over the headless host) shows the CLI command instead of a form
  const served = !jobKind || local || !LOCAL_KINDS.has(jobKind);

  useEffect(() => {
    // the models slice, read again when the form opens and after each start (a job may register a model)
    void loadModels().then(() => {
      const failed = appStore.getState().modelsError;
      if (failed) setError(failed);
    });
    api['annotations.sets']({}).then(
      (s) => setSets(s.map((x) => x.name)),
      () => undefined,
    );
  }, [api, started, loadModels, appStore]);
  useEffect(() => {
    if (kind === 'cycle') void loadModels();
  }, [kind, loadModels]);
  useEffect(() => {
    if (kind !== 'import-labels' || !local) return;
    api['import.labelFormats']({}).then(
      (fs) => setLabelFormats(fs.map((f) => ({ value: f.name, label: f.name }))),
      () => undefined,
    );
  }, [api, kind, local]);
  // the core's pre-flight, asked a moment after the last edit while the config passes the schema; a reply
  // to an older config is dropped
  useEffect(() => {
    const n = ++asked.current;
    setRefused(null);
    // (a benchmark import is no job: the core's import refuses what would fail, before it writes anything)
    if (!jobKind || !served || !check?.success || textError || isBenchImport(jobKind, config)) return;
    const timer = setTimeout(() => {
      api['jobs.check']({ kind: jobKind, config } as Parameters<(typeof api)['jobs.check']>[0]).then(
        (r) => {
          if (asked.current === n) setRefused(r.refused);
        },
        () => undefined,
      );
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [api, jobKind, served, check, config, textError]);

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
      labelFormats,
    }),
    [datasets, models, sets, jobs, labelFormats],
  );
  const fields = useMemo(() => (jobKind ? formFields(jobKind, config, ctx) : []), [jobKind, config, ctx]);
  const errors = useMemo(() => (check && !check.success ? fieldIssues(check.error.issues, fields) : new Map<string, string>()), [check, fields]);
  const startedJob = started === null ? undefined : jobs.find((j) => j.id === started);
  const startedLink = startedJob ? jobLink(startedJob, { cycleRunOf: (id) => cycleRuns.find((r) => r.jobId === id)?.id }) : null;

  const chooseKind = (k: Kind): void => {
    setKind(k);
    setError(null);
    setImported(null);
    setStarted(null);
    if (k === 'cycle' || k === 'export') return;
    const firstPrm = models.find((m) => m.role === 'prm')?.name;
    const first =
      k === 'train-prm' && sets.length
        ? { ...TEMPLATES[k], annotations: sets[0] }
        : k === 'bench-prm'
          ? { ...TEMPLATES[k], dataset: datasets[0]?.name ?? '', ...(firstPrm ? { prm: firstPrm } : {}) }
          : TEMPLATES[k];
    edit(first);
  };

  const launch = async (): Promise<void> => {
    if (!jobKind) return;
    setImported(null);
    if (isBenchImport(jobKind, config)) {
      // a benchmark's file or folder of split files, imported as the CLI's import-labels --format does
      if (textError || issueText) return void setError(textError ?? `the config has a problem: ${issueText}; fix it in the form or the JSON`);
      setBusy(true);
      try {
        const files = await importBenchmark(config);
        setError(null);
        setImported(files.map((r) => `${r.added} ${r.format} rows of ${r.file} into dataset "${r.dataset}" split "${r.split}" (${r.rows} read${r.present ? `, ${r.present} imported before` : ''})`).join('; '));
      } catch (e) {
        setError(describeError(e));
      } finally {
        setBusy(false);
      }
      return;
    }
    await startJob({ textError, issue: issueText }, () => start(jobKind, config));
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
        {jobKind && served && (
          <button type="button" className="primary" disabled={busy} onClick={() => void launch()}>
            {busy ? 'Starting…' : 'Start'}
          </button>
        )}
        {jobKind && served && !error && (textError || issueText) && (
          <span className="error-text small" data-testid="launch-issue">
            not ready: {textError ?? issueText}
          </span>
        )}
        {jobKind && served && !error && !textError && !issueText && refused && (
          <span className="error-text small" data-testid="launch-refusal">
            refused: {refused}
          </span>
        )}
      </div>
      {jobKind && !served && (
        <p className="note" data-testid="launch-local-only">
          Importing step labels reads files on this machine, so this browser page cannot start it: run{' '}
          <code className="mono">{cliCommand(jobKind, workspacePath, config)}</code> or use the desktop app.
        </p>
      )}
      {jobKind && served && (
        <>
          <div className="launch-form" data-testid="launch-form">
            {fields.map((f) => (
              <Field key={f.path.join('.')} field={f} config={config} onChange={edit} error={errors.get(f.path.join('.'))} />
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
          {imported !== null && (
            <p role="status" data-testid="launch-imported">
              Imported {imported}.
            </p>
          )}
          {started !== null && (
            <p role="status" data-testid="launch-started">
              Job #{started} started{startedJob && startedJob.state !== 'queued' && startedJob.state !== 'running' ? `, now ${startedJob.state}` : '; its progress is in the list below'}.
              {startedLink && (
                <>
                  {' '}
                  <button type="button" className="link" onClick={() => navigate(startedLink.route)} data-testid="launch-result-link">
                    {startedLink.label}
                  </button>
                </>
              )}
            </p>
          )}
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
