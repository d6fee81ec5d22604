// Every job of the workspace, each saying what it is (kind and key settings), its live progress and, once
// finished, its outcome from the result with a link to where the results are; queued and running ones can
// be cancelled (shown as cancelling until the worker stops), stopped ones resumed from their checkpoint
// (the core says why where a job cannot). A cancel reads as a cancel; a trainer's stderr keeps its lines.
import { useEffect, useRef, useState } from 'react';
import { LaunchableKind } from '../../src-shared/api';
import type { Job } from '../../src-shared/domain';
import { ViewHeader } from '../components/ViewHeader';
import { ProgressBar } from '../components/ProgressBar';
import { describeError } from '../errors';
import { describeJob, jobLink, jobOutcome, shownState } from '../jobs/describe';
import { useApp } from '../store';
import { LaunchJob } from './LaunchJob';

const time = (iso: string): string => new Date(iso).toLocaleString();

/** A job's error: a trainer's traceback or stderr tail keeps its lines; a cancel is said as one, not as an error. */
function JobError({ job }: { job: Job }) {
  if (!job.error) return null;
  if (job.state === 'cancelled') return <span className="muted small">{job.error === 'cancelled' ? 'cancelled on request' : job.error}</span>;
  const multi = job.error.includes('\n');
  return multi ? (
    <pre className="error-block" data-testid="job-error">
      {job.error}
    </pre>
  ) : (
    <span className={job.state === 'interrupted' ? 'warn-text' : 'error-text'} data-testid="job-error">
      {job.error}
    </span>
  );
}

export function JobsView() {
  const jobs = useApp((s) => s.jobs);
  const loaded = useApp((s) => s.jobsLoaded);
  const error = useApp((s) => s.jobsError);
  const load = useApp((s) => s.loadJobs);
  const cancel = useApp((s) => s.cancelJob);
  const cancelAsked = useApp((s) => s.cancelAsked);
  const navigate = useApp((s) => s.navigate);
  const cycleRuns = useApp((s) => s.cycleRuns);
  const cycleRunOf = (jobId: number) => cycleRuns.find((r) => r.jobId === jobId)?.id;
  const resume = useApp((s) => s.resumeJob);
  const [actionErrors, setActionErrors] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState<Record<number, 'cancel' | 'resume'>>({});
  // the job the route points at (#/jobs/<id>): highlighted and scrolled into view
  const pointed = useApp((s) => s.jobId);
  const pointedRow = useRef<HTMLTableRowElement>(null);
  const pointedLoaded = jobs.some((j) => j.id === pointed);
  const loadJob = useApp((s) => s.loadJob);
  useEffect(() => {
    if (pointed !== undefined && loaded && !pointedLoaded) void loadJob(pointed);
  }, [pointed, loaded, pointedLoaded, loadJob]);
  useEffect(() => {
    pointedRow.current?.scrollIntoView({ block: 'center' });
  }, [pointed, pointedLoaded]);

  /** runs a job action, keeping its error beside the job */
  const act = async (id: number, what: 'cancel' | 'resume'): Promise<void> => {
    setBusy((c) => ({ ...c, [id]: what }));
    try {
      await (what === 'cancel' ? cancel(id) : resume(id));
      setActionErrors(({ [id]: _gone, ...rest }) => rest);
    } catch (e) {
      setActionErrors((c) => ({ ...c, [id]: describeError(e) }));
    } finally {
      setBusy(({ [id]: _gone, ...rest }) => rest);
    }
  };

  return (
    <section aria-labelledby="jobs-title">
      <ViewHeader id="jobs-title" title="Jobs" onRefresh={() => void load()} error={error} loading={!loaded} />
      <LaunchJob />
      {loaded && jobs.length === 0 && <p className="empty">No jobs yet. Long work (an import, a search) runs as a job and shows up here.</p>}
      {jobs.length > 0 && (
        <table className="data-table" data-testid="jobs-table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Job</th>
              <th>State</th>
              <th>Progress</th>
              <th>Outcome</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const active = j.state === 'queued' || j.state === 'running';
              // an interrupted job always continues; a failed or cancelled one when its kind keeps partial work
              // (the kinds started from this view and cycle runs do; an import or a training removes it)
              const stopped = j.state === 'interrupted' || ((j.state === 'failed' || j.state === 'cancelled') && (LaunchableKind.safeParse(j.kind).success || j.kind === 'cycle'));
              const d = describeJob(j);
              const state = shownState(j, cancelAsked.includes(j.id));
              const outcome = jobOutcome(j);
              const link = jobLink(j, { cycleRunOf });
              return (
                <tr key={j.id} data-state={j.state} data-job={j.id} ref={j.id === pointed ? pointedRow : undefined} className={j.id === pointed ? 'chosen' : undefined}>
                  <td className="num">{j.id}</td>
                  <td className="job-what">
                    <strong data-testid="job-title">{d.title}</strong>
                    {d.settings.length > 0 && (
                      <span className="job-settings" data-testid="job-settings">
                        {' · '}
                        {d.settings.join(' · ')}
                      </span>
                    )}
                    <div className="muted small">{time(j.createdAt)}</div>
                  </td>
                  <td>
                    <span className={`state state-${state}`} data-testid="job-state">
                      {state}
                    </span>
                  </td>
                  <td className="progress-cell">
                    <ProgressBar progress={j.progress} active={j.state === 'running'} finished={j.state === 'done'} />
                  </td>
                  <td className="job-outcome" data-testid="job-outcome">
                    {outcome ?? (j.state === 'done' || !j.progress.message ? null : <span className={active ? undefined : 'muted'}>{j.progress.message}</span>)}
                    {link && (
                      <div>
                        <button type="button" className="link" onClick={() => navigate(link.route)} data-testid="job-link">
                          {link.label} →
                        </button>
                      </div>
                    )}
                    <JobError job={j} />
                  </td>
                  <td className="actions">
                    {active && (
                      <button type="button" disabled={busy[j.id] !== undefined || state === 'cancelling'} onClick={() => void act(j.id, 'cancel')}>
                        {state === 'cancelling' ? 'Cancelling…' : 'Cancel'}
                      </button>
                    )}
                    {stopped && (
                      <button type="button" disabled={busy[j.id] !== undefined} title="Continue from its last checkpoint" onClick={() => void act(j.id, 'resume')}>
                        {busy[j.id] === 'resume' ? 'Resuming…' : 'Resume'}
                      </button>
                    )}
                    {actionErrors[j.id] && <div className="error-text small">{actionErrors[j.id]}</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
