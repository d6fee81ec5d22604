// Typed job events (src-shared/events.ts): the rows a client reduces from them are the rows the core
// stores, and every door refuses an event that does not match the contract.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Job } from '../src-shared/domain';
import { jobIdOf, reduceJob, type ApiEvent, type JobEvent } from '../src-shared/events';
import { checkedEvents } from '../src-main/core/events';
import { openLocalDoor, type LocalDoor } from '../src-main/core/door';
import { openWorkbench } from '../src-main/core/workbench';
import { startHost } from '../src-main/server';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let door: LocalDoor | undefined;
beforeEach(() => {
  tmp = tempDir('steplab-events-');
});
afterEach(async () => {
  await door?.close();
  door = undefined;
  tmp.cleanup();
});

function writeProblems(file: string, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ id: `p${i}`, question: `What is ${i} + 1?`, answer: String(i + 1) }));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const T = (s: number): string => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
const row = (over: Partial<Job> = {}): Job => ({
  id: 7,
  kind: 'search',
  config: {},
  state: 'queued',
  progress: { done: 0, total: null, message: null },
  result: null,
  error: null,
  attempts: 0,
  createdAt: T(0),
  updatedAt: T(0),
  finishedAt: null,
  ...over,
});

/** Injects an event into a runner's stream as a bug in the core would (the runner's own emit). */
const injectRaw = (d: LocalDoor, event: unknown): void => (d.workbench.runner as unknown as { emit(e: unknown): void }).emit(event);

describe('reducing job events to rows', () => {
  it('each event changes what its stored change changes; a late one, a metric or an unknown job changes nothing', () => {
    const queued = row();
    let r = reduceJob(undefined, { type: 'queued', job: queued });
    expect(r).toEqual(queued);
    r = reduceJob(r, { type: 'started', jobId: 7, at: T(1), attempts: 1 });
    expect(r).toMatchObject({ state: 'running', attempts: 1, updatedAt: T(1) });
    r = reduceJob(r, { type: 'progress', jobId: 7, at: T(2), done: 3, total: 10 });
    r = reduceJob(r, { type: 'message', jobId: 7, at: T(2), message: 'problem 3/10' });
    expect(r?.progress).toEqual({ done: 3, total: 10, message: 'problem 3/10' });
    const beforeLate = r;
    // a progress event older than the row (sent before a snapshot that already has later work) is ignored
    expect(reduceJob(r, { type: 'progress', jobId: 7, at: T(1), done: 1, total: 10 })).toBe(beforeLate);
    expect(reduceJob(r, { type: 'metric', jobId: 7, name: 'loss', step: 4, value: 0.5 })).toBe(beforeLate);
    r = reduceJob(r, { type: 'cancelling', jobId: 7, at: T(3) });
    expect(r).toMatchObject({ state: 'running', cancelRequested: true });
    r = reduceJob(r, { type: 'cancelled', jobId: 7, at: T(4), progress: { done: 3, total: 10, message: 'problem 3/10' }, reason: 'cancelled' });
    expect(r).toEqual({ ...queued, state: 'cancelled', attempts: 1, progress: { done: 3, total: 10, message: 'problem 3/10' }, error: 'cancelled', updatedAt: T(4), finishedAt: T(4) });
    expect(reduceJob(undefined, { type: 'progress', jobId: 8, at: T(5), done: 1, total: 2 })).toBeUndefined();
    // an interruption keeps the error unless it says why (a pause)
    const failedBefore = row({ state: 'running', error: 'earlier' });
    const p = { done: 2, total: 2, message: 'all read' };
    expect(reduceJob(failedBefore, { type: 'interrupted', jobId: 7, at: T(6), progress: p, reason: null })).toMatchObject({ state: 'interrupted', error: 'earlier', progress: p });
    expect(reduceJob(failedBefore, { type: 'interrupted', jobId: 7, at: T(6), progress: p, reason: 'the endpoint is down' })).toMatchObject({ state: 'interrupted', error: 'the endpoint is down' });
    // how a job ended carries its last progress: a client that missed a progress event still ends right
    expect(reduceJob(row({ state: 'running' }), { type: 'finished', jobId: 7, at: T(7), progress: p, result: { n: 1 } })).toMatchObject({ state: 'done', progress: p, result: { n: 1 }, error: null, finishedAt: T(7) });
  });

  it('the rows reduced from a door’s snapshot and events are the rows the core stores: done, refused, cancelled queued and running, interrupted', async () => {
    const ws = join(tmp.dir, 'ws');
    door = openLocalDoor(ws, { create: true });
    const { store } = door.workbench;
    // a job from before the subscription reaches the client in the snapshot
    const early = await door.api['import.start']({ path: writeProblems(join(tmp.dir, 'early.jsonl'), 5), dataset: 'early' });
    await door.api['jobs.wait']({ id: early.id });

    const rows = new Map<number, Job>();
    const told: ApiEvent[] = [];
    /**
     * rows that did not match the store when the runner itself emitted (its events follow its writes at once;
     * a running job's worker may have stored progress whose events are still on their way, so a cancel is
     * compared by its state alone)
     */
    const mismatches: string[] = [];
    const runnerSide = new Set<JobEvent['type']>(['queued', 'started']);
    const off = door.subscribe((e) => {
      told.push(e);
      if (e.type === 'jobs') for (const j of e.jobs) rows.set(j.id, j);
      if (e.type !== 'job') return;
      const id = jobIdOf(e.event);
      const next = reduceJob(rows.get(id), e.event);
      if (next) rows.set(id, next);
      if (runnerSide.has(e.event.type) && next && JSON.stringify(next) !== JSON.stringify(store.jobs.get(id))) mismatches.push(`${id} after ${e.event.type}`);
      if (e.event.type === 'cancelling' && !(next?.cancelRequested && store.jobs.get(id).cancelRequested && next.state === 'running')) mismatches.push(`${id} after cancelling`);
    });
    expect(told[0]).toEqual({ type: 'jobs', jobs: [store.jobs.get(early.id)] });

    const done = await door.api['import.start']({ path: writeProblems(join(tmp.dir, 'a.jsonl'), 1500), dataset: 'a' });
    const queuedThenCancelled = await door.api['import.start']({ path: join(tmp.dir, 'a.jsonl'), dataset: 'b' });
    await door.api['jobs.cancel']({ id: queuedThenCancelled.id });
    const bad = join(tmp.dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","question":"q","answer":"1"}\n{"id":"b","question":"q2"}\n');
    const refused = await door.api['import.start']({ path: bad, dataset: 'd' });
    expect((await door.api['jobs.wait']({ id: done.id })).state).toBe('done');
    const refusedEnd = await door.api['jobs.wait']({ id: refused.id });
    const types = (id: number): string[] => told.flatMap((e) => (e.type === 'job' && jobIdOf(e.event) === id ? [e.event.type] : []));
    // a refused request's row is gone from the store (its id is free for the next job): its last event told why
    expect(types(refused.id).at(-1)).toBe('failed');
    expect(rows.get(refused.id)).toEqual(refusedEnd);
    expect(refusedEnd).toMatchObject({ state: 'failed', error: 'bad.jsonl line 2: field "answer": required' });

    // a running job cancelled once it has progressed
    const big = await door.api['import.start']({ path: writeProblems(join(tmp.dir, 'big.jsonl'), 40_000), dataset: 'big' });
    await new Promise<void>((resolve) => {
      const stop = door!.subscribe((e) => {
        if (e.type === 'job' && e.event.type === 'progress' && e.event.jobId === big.id && e.event.done > 0) {
          stop();
          void door!.api['jobs.cancel']({ id: big.id }).then(() => resolve());
        }
      });
    });
    const bigEnd = await door.api['jobs.wait']({ id: big.id });
    expect(bigEnd.state, bigEnd.error ?? '').toBe('cancelled');
    expect(types(big.id)).toEqual(expect.arrayContaining(['queued', 'started', 'progress', 'cancelling', 'cancelled']));
    expect(types(queuedThenCancelled.id)).toEqual(['queued', 'cancelled']);

    // a running job whose host closes stops interrupted
    const last = await door.api['import.start']({ path: writeProblems(join(tmp.dir, 'last.jsonl'), 40_000), dataset: 'last' });
    await new Promise<void>((resolve) => {
      const stop = door!.subscribe((e) => {
        if (e.type === 'job' && e.event.type === 'progress' && e.event.jobId === last.id) {
          stop();
          resolve();
        }
      });
    });
    await door.close();
    door = undefined;
    off();
    expect(types(last.id).at(-1)).toBe('interrupted');

    expect(mismatches).toEqual([]);
    const wb = openWorkbench(ws);
    try {
      const stored = wb.store.jobs.list(100);
      expect([...rows.values()].sort((a, b) => b.id - a.id)).toEqual(stored);
      expect(stored.map((j) => j.state)).toEqual(['interrupted', 'cancelled', 'cancelled', 'done', 'done']);
    } finally {
      await wb.close();
    }
  }, 120_000);
});

describe('every door refuses an event that does not match the contract', () => {
  const malformed = { type: 'job', event: { type: 'progress', jobId: 1, at: T(1), done: 'two', total: 5 } };

  it('the core’s check passes a good event and refuses a bad one in one line', () => {
    const seen: ApiEvent[] = [];
    const why: string[] = [];
    const pass = checkedEvents((e) => seen.push(e), (w) => why.push(w));
    pass({ type: 'workspace', path: '/w' });
    pass(malformed);
    pass({ type: 'job', event: { type: 'exploded', jobId: 1 } });
    expect(seen).toEqual([{ type: 'workspace', path: '/w' }]);
    expect(why).toHaveLength(2);
    expect(why[0]).toMatch(/^an event that does not match the contract was refused: event\.done: .*number/);
    for (const w of why) expect(w).not.toContain('\n');
  });

  it('the in-process door (the CLI’s) does not pass a malformed event on, and reports it', async () => {
    const refused: string[] = [];
    door = openLocalDoor(join(tmp.dir, 'ws'), { create: true, onRefusedEvent: (w) => refused.push(w) });
    const seen: ApiEvent[] = [];
    door.subscribe((e) => seen.push(e));
    injectRaw(door, malformed.event);
    injectRaw(door, { type: 'cancelling', jobId: 1, at: T(2) });
    expect(seen).toEqual([
      { type: 'jobs', jobs: [] },
      { type: 'job', event: { type: 'cancelling', jobId: 1, at: T(2) } },
    ]);
    expect(refused).toEqual([expect.stringMatching(/^an event that does not match the contract was refused: event\.done/)]);
  });

  it('the host does not send a malformed event over its WebSocket, and reports it', async () => {
    const internal: unknown[] = [];
    door = openLocalDoor(join(tmp.dir, 'ws'), { create: true });
    const host = await startHost({ workbench: door.workbench, rendererDir: join(tmp.dir, 'none'), onInternalError: (e) => internal.push(e) });
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const got: unknown[] = [];
    socket.on('message', (data) => got.push(JSON.parse(String(data))));
    try {
      await expect.poll(() => got.length).toBe(1);
      expect(got[0]).toEqual({ event: { type: 'jobs', jobs: [] } });
      injectRaw(door, malformed.event);
      injectRaw(door, { type: 'cancelling', jobId: 1, at: T(2) });
      await expect.poll(() => got.length).toBe(2);
      expect(got[1]).toEqual({ event: { type: 'job', event: { type: 'cancelling', jobId: 1, at: T(2) } } });
      expect(internal.map((e) => (e as Error).message)).toEqual([expect.stringMatching(/^an event that does not match the contract was refused: event\.done/)]);
    } finally {
      socket.close();
      await host.close();
    }
  });
});
