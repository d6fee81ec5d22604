// The reproduction's scheduler: stages start once the stages they read have finished, at most `slots` at a
// time, the first listed first when several could start; a stage that fails stops the running ones and
// nothing new starts. Pure of I/O: what a stage does, and how it is stopped, is passed in.

export interface ScheduledStage {
  name: string;
  /** the stages whose outputs this one reads; one that is not in the list to run is taken as there */
  after: readonly string[];
}

export interface ScheduleHooks<S extends ScheduledStage> {
  /** runs the stage; `signal` aborts when another stage fails (the stage should stop its work then) */
  run: (stage: S, signal: AbortSignal) => Promise<void>;
  started?: (stage: S) => void;
  finished?: (stage: S) => void;
}

export interface ScheduleResult<S extends ScheduledStage> {
  finished: S[];
  /** the first stage that failed, with its error; the stages then still waiting did not start */
  failed: { stage: S; error: unknown } | null;
  notStarted: S[];
}

export function runStages<S extends ScheduledStage>(stages: readonly S[], slots: number, hooks: ScheduleHooks<S>): Promise<ScheduleResult<S>> {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a whole number of at least 1, got ${slots}`);
  const names = new Set(stages.map((s) => s.name));
  if (names.size !== stages.length) throw new Error('two stages share a name');
  const waiting = [...stages];
  const running = new Map<string, AbortController>();
  const finished: S[] = [];
  let failed: ScheduleResult<S>['failed'] = null;
  return new Promise((resolve) => {
    const pump = (): void => {
      if (!failed) {
        for (const s of [...waiting]) {
          if (running.size >= slots) break;
          if (s.after.some((d) => running.has(d) || waiting.some((w) => w.name === d))) continue;
          start(s);
        }
        if (running.size === 0 && waiting.length > 0) {
          const s = waiting[0];
          failed = { stage: s, error: new Error(`${s.name} waits on ${s.after.filter((d) => waiting.some((w) => w.name === d)).join(', ')}, which wait on it`) };
        }
      }
      if (running.size === 0 && (failed || waiting.length === 0)) resolve({ finished, failed, notStarted: [...waiting] });
    };
    const start = (s: S): void => {
      waiting.splice(waiting.indexOf(s), 1);
      const abort = new AbortController();
      running.set(s.name, abort);
      hooks.started?.(s);
      let run: Promise<void>;
      try {
        run = hooks.run(s, abort.signal);
      } catch (e) {
        run = Promise.reject(e);
      }
      run.then(
        () => {
          running.delete(s.name);
          finished.push(s);
          hooks.finished?.(s);
          pump();
        },
        (error: unknown) => {
          running.delete(s.name);
          if (!failed) {
            failed = { stage: s, error };
            for (const other of running.values()) other.abort();
          }
          pump();
        },
      );
    };
    pump();
  });
}
