// The renderer's WebSocket transport against the real headless host: calls, typed errors, events,
// waiting through a host restart, and a readable error when the host stays away.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ApiError, createApiProxy } from '../src-shared/api';
import { jobIdOf, type ApiEvent } from '../src-shared/events';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { startHost, type Host } from '../src-main/server';
import { createWebSocketTransport, type ConnectionInfo, type WebSocketTransport } from '../src-renderer/transport/ws';

let tmp: string;
let wb: Workbench;
let host: Host;
const transports: WebSocketTransport[] = [];

// the ws package implements the browser WebSocket interface the transport is written against
const BrowserLikeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

function transport(url: string, connectTimeoutMs = 5_000): WebSocketTransport {
  const t = createWebSocketTransport(url, { WebSocket: BrowserLikeWebSocket, connectTimeoutMs, minBackoffMs: 50, maxBackoffMs: 200 });
  transports.push(t);
  return t;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'steplab-transport-'));
  wb = openWorkbench(join(tmp, 'ws'), { create: true });
  host = await startHost({ workbench: wb, rendererDir: join(tmp, 'none') });
});

afterAll(async () => {
  for (const t of transports) t.close();
  await host?.close();
  await wb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const wsUrl = (h: Host): string => `ws://127.0.0.1:${h.port}/ws?token=${h.token}`;

describe('WebSocket transport', () => {
  it('calls the API and rejects with the typed error the host sent', async () => {
    const api = createApiProxy(transport(wsUrl(host)));
    expect(await api['workspace.info']({})).toMatchObject({ path: wb.store.paths.dir, datasets: 0 });
    const err = await api['problems.list']({ dataset: 'd', limit: 'x' as unknown as number }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'bad_request', path: 'params.limit' });
    const missing = await api['datasets.get']({ name: 'ghost' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found' });
    expect((missing as Error).message).toContain('dataset "ghost" not found');
  });

  it('delivers job events to subscribers', async () => {
    const t = transport(wsUrl(host));
    const api = createApiProxy(t);
    const events: ApiEvent[] = [];
    const off = t.subscribe((e) => events.push(e));
    await api['workspace.info']({});
    const file = join(tmp, 'one.jsonl');
    writeFileSync(file, '{"id":"a","question":"1+1?","answer":"2"}\n');
    const job = await api['import.start']({ path: file, dataset: 'one' });
    await expect.poll(() => events.find((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === job.id), { timeout: 30_000 }).toBeTruthy();
    // a fresh connection is told the jobs as they are first, then the events
    expect(events[0]).toMatchObject({ type: 'jobs', jobs: expect.any(Array) });
    expect(events.filter((e) => e.type === 'job' && jobIdOf(e.event) === job.id).map((e) => (e.type === 'job' ? e.event.type : ''))).toEqual(expect.arrayContaining(['queued', 'started', 'progress', 'finished']));
    // after unsubscribing, a listener hears nothing more while another one still does
    off();
    const witness: ApiEvent[] = [];
    t.subscribe((e) => witness.push(e));
    const second = await api['import.start']({ path: file, dataset: 'one-again' });
    await expect.poll(() => witness.find((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === second.id), { timeout: 30_000 }).toBeTruthy();
    expect(events.filter((e) => e.type === 'job' && jobIdOf(e.event) === second.id)).toEqual([]);
  });

  it('refuses an event that does not match the contract and delivers the next one', async () => {
    // a host that sends a malformed job event (counts as text) before a good one
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => server.once('listening', () => r()));
    const good: ApiEvent = { type: 'job', event: { type: 'progress', jobId: 3, at: '2026-01-01T00:00:01.000Z', done: 2, total: 5 } };
    server.on('connection', (ws) => {
      ws.send(JSON.stringify({ event: { type: 'job', event: { type: 'progress', jobId: 3, at: '2026-01-01T00:00:00.000Z', done: 'two', total: 5 } } }));
      ws.send(JSON.stringify({ event: { type: 'job', event: { type: 'exploded', jobId: 3 } } }));
      ws.send(JSON.stringify({ event: good }));
    });
    try {
      const t = transport(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`);
      const seen: ApiEvent[] = [];
      t.subscribe((e) => seen.push(e));
      await expect.poll(() => seen.length).toBe(1);
      expect(seen).toEqual([good]);
      t.close();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a call made while the host is away waits for it to come back on the same port', async () => {
    const first = await startHost({ workbench: wb, rendererDir: join(tmp, 'none') });
    const t = transport(wsUrl(first), 10_000);
    const states: ConnectionInfo['state'][] = [];
    t.onConnection((i) => states.push(i.state));
    const api = createApiProxy(t);
    await api['workspace.info']({});
    await first.close();
    await expect.poll(() => states.at(-1)).toBe('reconnecting');
    const pending = api['datasets.list']({});
    await new Promise((r) => setTimeout(r, 300));
    const second = await startHost({ workbench: wb, port: first.port, token: first.token, rendererDir: join(tmp, 'none') });
    try {
      expect(Array.isArray((await pending).items)).toBe(true);
      expect(states.at(-1)).toBe('open');
    } finally {
      await second.close();
    }
  });

  it('gives up with a readable error when the host does not come back', async () => {
    const gone = await startHost({ workbench: wb, rendererDir: join(tmp, 'none') });
    const url = wsUrl(gone);
    await gone.close();
    const api = createApiProxy(transport(url, 500));
    const err = await api['workspace.info']({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^workspace\.info: cannot reach the Steplab host \(waited 500 ms\)/);
  });

  it('rejects every call after close', async () => {
    const t = transport(wsUrl(host));
    const api = createApiProxy(t);
    await api['workspace.info']({});
    t.close();
    await expect(api['workspace.info']({})).rejects.toThrow(/closed/);
  });
});
