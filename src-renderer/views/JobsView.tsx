// Every job of the workspace with live progress; queued and running ones can be cancelled, stopped ones
// resumed from their checkpoint (the core says why where a job cannot).
import { useEffect, useRef, useState } from 'react';
import { LaunchableKind } from '../../src-shared/api';
import { ImportReport, type Job } from '../../src-shared/domain';
import { ViewHeader } from '../components/ViewHeader';
import { ProgressBar } from '../components/ProgressBar';
import { describeError } from '../errors';
import { count } from '../format';
import { useApp } from '../store';
import { LaunchJob } from './LaunchJob';

/** What a job works on, from the fields its config usually has. */
function subject(job: Job): string | null {
  const c = job.config as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return null;
  const parts = [c.dataset, c.path].filter((x): x is string => typeof x === 'string');
  return parts.length ? parts.join(' ← ') : null;
}

function outcome(job: Job): string | null {
  if (job.kind === 'import' && job.state === 'done') {
    const r = ImportReport.safeParse(job.result);
    if (r.success) {
      const { imported, images, skipped, unchanged } = r.data;
      return `imported ${count(imported, 'problem')} and ${count(images, 'image')}; ${unchanged.toLocaleString()} unchanged, ${skipped.toLocaleString()} skipped`;
    }
  }
  return job.progress.message;
}

const time = (iso: string): string => new Date(iso).toLocaleString();

export function JobsView() {
  const jobs = useApp((s) => s.jobs);
  const loaded = useApp((s) => s.jobsLoaded);
  const error = useApp((s) => s.jobsError);
  const load = useApp((s) => s.loadJobs);
  const cancel = useApp((s) => s.cancelJob);
  const resume = useApp((s) => s.resumeJob);
  const [actionErrors, setActionErrors] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState<Record<number, 'cancel' | 'resume'>>({});
  // the job the route points at (#/jobs/<id>): highlighted and scrolled into view
  const pointed = useApp((s) => s.jobId);
  const pointedRow = useRef<HTMLTableRowElement>(null);
  const pointedLoaded = jobs.some((j) => j.id === pointed);
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
              <th>Kind</th>
              <th>State</th>
              <th>Progress</th>
              <th>Message</th>
              <th>Error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const active = j.state === 'queued' || j.state === 'running';
              // an interrupted job always continues; a failed or cancelled one when its kind keeps partial work
              // (the kinds started from this view and cycle runs do; an import or a training removes it)
              const stopped = j.state === 'interrupted' || ((j.state === 'failed' || j.state === 'cancelled') && (LaunchableKind.safeParse(j.kind).success || j.kind === 'cycle'));
              return (
                <tr key={j.id} data-state={j.state} data-job={j.id} ref={j.id === pointed ? pointedRow : undefined} className={j.id === pointed ? 'chosen' : undefined}>
                  <td className="num">{j.id}</td>
                  <td>
                    <strong>{j.kind}</strong>
                    {subject(j) && (
                      <div className="muted small ellipsis" title={subject(j) ?? undefined}>
                        {subject(j)}
                      </div>
                    )}
                    <div className="muted small">{time(j.createdAt)}</div>
                  </td>
                  <td>
                    <span className={`state state-${j.state}`}>{j.state}</span>
                  </td>
                  <td className="progress-cell">
                    <ProgressBar progress={j.progress} active={j.state === 'running'} finished={j.state === 'done'} />
                  </td>
                  <td>{outcome(j) ?? <span className="muted">—</span>}</td>
                  <td className="error-text">{j.error}</td>
                  <td className="actions">
                    {active && (
                      <button type="button" disabled={busy[j.id] !== undefined} onClick={() => void act(j.id, 'cancel')}>
                        {busy[j.id] === 'cancel' ? 'Cancelling…' : 'Cancel'}
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
