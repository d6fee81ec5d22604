// A terminal progress bar fed by job events (stderr, only when it is a terminal).
import cliProgress from 'cli-progress';
import type { Job } from '../../src-shared/domain';

export class JobProgressBar {
  private readonly bar = new cliProgress.SingleBar(
    { format: '{kind} [{bar}] {value}/{total} {message}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  update(job: Job): void {
    const total = job.progress.total ?? Math.max(job.progress.done, 1);
    const payload = { kind: job.kind, message: job.progress.message ?? job.state };
    if (!this.started) {
      this.bar.start(total, job.progress.done, payload);
      this.started = true;
    } else {
      this.bar.setTotal(total);
      this.bar.update(job.progress.done, payload);
    }
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
