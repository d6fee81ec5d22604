// A job's progress: a bar when the total is known, a count otherwise.
import type { JobProgress } from '../../src-shared/domain';

export function ProgressBar({ progress, active, finished }: { progress: JobProgress; active: boolean; finished: boolean }) {
  const { done } = progress;
  // a job that ran to the end without knowing its total did all there was
  const total = progress.total ?? (finished ? done : null);
  if (total === null || total <= 0) {
    return <span className="progress-count">{active ? `${done} done…` : `${done} done`}</span>;
  }
  const pct = Math.max(0, Math.min(100, (done / total) * 100));
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} title={`${done} of ${total}`}>
      <div className="progress-track">
        <div className={`progress-fill${active ? ' active' : ''}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-label">
        {done}/{total}
      </span>
    </div>
  );
}
