// The reproduction's scheduler (models/recipes/schedule.ts): stages start when what they read is done, at
// most `slots` at a time, in list order; a failure stops the others and nothing new starts. Stages here are
// deferred promises the test settles by hand, so no timing is involved.
import { describe, expect, it } from 'vitest';
import { runStages, type ScheduledStage } from '../models/recipes/schedule';

interface Step extends ScheduledStage {
  name: string;
  after: string[];
}

/** Stages whose runs the test settles; `events` records starts, finishes and aborts in order. */
function harness(stages: Step[], slots: number) {
  const events: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  const result = runStages(stages, slots, {
    run: (s, signal) =>
      new Promise<void>((resolve, reject) => {
        pending.set(s.name, { resolve, reject });
        signal.addEventListener('abort', () => {
          events.push(`abort ${s.name}`);
          reject(new Error('stopped'));
        });
      }),
    started: (s) => events.push(`start ${s.name}`),
    finished: (s) => events.push(`done ${s.name}`),
  });
  const running = () => [...pending.keys()];
  const settle = async (name: string, error?: unknown) => {
    const p = pending.get(name);
    if (!p) throw new Error(`${name} is not running (running: ${running().join(', ')})`);
    pending.delete(name);
    if (error) p.reject(error);
    else p.resolve();
    // let the scheduler's then-callbacks run
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { events, result, running, settle };
}

const stage = (name: string, ...after: string[]): Step => ({ name, after });

describe('runStages', () => {
  it('starts a stage only after what it reads has finished, at most two at a time, the first listed first', async () => {
    const h = harness([stage('policy'), stage('pool'), stage('orm', 'policy'), stage('reflect', 'orm', 'pool'), stage('searches', 'policy'), stage('plain', 'policy', 'pool')], 2);
    await Promise.resolve();
    expect(h.running()).toEqual(['policy', 'pool']);
    await h.settle('pool');
    // nothing else can start before the policy: one slot stays free
    expect(h.running()).toEqual(['policy']);
    await h.settle('policy');
    expect(h.running()).toEqual(['orm', 'searches']);
    await h.settle('orm');
    // reflect is listed before plain, so it takes the freed slot
    expect(h.running()).toEqual(['searches', 'reflect']);
    await h.settle('searches');
    expect(h.running()).toEqual(['reflect', 'plain']);
    await h.settle('plain');
    await h.settle('reflect');
    const r = await h.result;
    expect(r.failed).toBeNull();
    expect(r.finished.map((s) => s.name)).toEqual(['pool', 'policy', 'orm', 'searches', 'plain', 'reflect']);
    expect(r.notStarted).toEqual([]);
  });

  it('runs one at a time with one slot, in list order as they become ready', async () => {
    const h = harness([stage('a'), stage('b', 'a'), stage('c')], 1);
    await Promise.resolve();
    expect(h.running()).toEqual(['a']);
    await h.settle('a');
    expect(h.running()).toEqual(['b']);
    await h.settle('b');
    expect(h.running()).toEqual(['c']);
    await h.settle('c');
    expect((await h.result).finished.map((s) => s.name)).toEqual(['a', 'b', 'c']);
  });

  it('takes a stage it reads that is not to run (finished before, or left out by --only) as there', async () => {
    const h = harness([stage('bon', 'prm')], 2);
    await Promise.resolve();
    expect(h.running()).toEqual(['bon']);
    await h.settle('bon');
    expect((await h.result).finished.map((s) => s.name)).toEqual(['bon']);
  });

  it('stops the running stages when one fails and starts nothing more', async () => {
    const h = harness([stage('orm'), stage('searches'), stage('prm', 'searches'), stage('reflect', 'orm')], 2);
    await Promise.resolve();
    expect(h.running()).toEqual(['orm', 'searches']);
    await h.settle('orm', new Error('trainer.py stopped by SIGKILL'));
    const r = await h.result;
    expect(r.failed?.stage.name).toBe('orm');
    expect((r.failed?.error as Error).message).toBe('trainer.py stopped by SIGKILL');
    expect(h.events).toEqual(['start orm', 'start searches', 'abort searches']);
    expect(r.finished).toEqual([]);
    expect(r.notStarted.map((s) => s.name)).toEqual(['prm', 'reflect']);
  });

  it('reports stages that wait on each other instead of hanging', async () => {
    const r = await runStages([stage('a', 'b'), stage('b', 'a')], 2, { run: async () => {} });
    expect((r.failed?.error as Error).message).toBe('a waits on b, which wait on it');
    expect(r.notStarted.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('refuses a slot count that is not a whole number of at least 1', () => {
    expect(() => runStages([stage('a')], 0, { run: async () => {} })).toThrow('slots must be a whole number of at least 1, got 0');
  });
});
