// The one path every host takes from a request to the core and back, shared by the headless host (HTTP and
// WebSocket) and the Electron shell (IPC): the request's envelope is checked, the workspace holder runs the
// call (validated against the src-shared contract in core/dispatch), and any failure becomes the typed error body.
import { z } from 'zod';
import { describeZodError, type ApiErrorBody } from '../../src-shared/api';
import { toErrorBody } from '../core/dispatch';

/** What runs calls: a WorkbenchHolder (it sends each call to the workspace open now). */
export interface ApiTarget {
  call(method: string, params: unknown): Promise<unknown>;
}

export type CallReply = { result: unknown } | { error: ApiErrorBody };

/** The payload of one Electron IPC call. */
export const IpcCall = z.object({ method: z.string(), input: z.unknown().optional() }).strict();

/** Runs one call; never throws. Internal errors (bugs) are reported and reach the client as one line. */
export async function answerCall(target: ApiTarget, method: string, params: unknown, reportInternal: (e: unknown) => void = () => {}): Promise<CallReply> {
  try {
    return { result: (await target.call(method, params)) ?? null };
  } catch (e) {
    return { error: errorBody(e, reportInternal) };
  }
}

/** Checks an IPC payload `{method, input}` as the host checks a WebSocket message, then runs the call. */
export async function answerIpcCall(target: ApiTarget, payload: unknown, reportInternal?: (e: unknown) => void): Promise<CallReply> {
  const parsed = IpcCall.safeParse(payload);
  if (!parsed.success) return { error: malformed(parsed.error, '{method, input}') };
  return answerCall(target, parsed.data.method, parsed.data.input, reportInternal);
}

/** The error body for a request whose envelope (not its params) is wrong. */
export function malformed(error: z.ZodError, expected: string): ApiErrorBody {
  const { path, message } = describeZodError(error);
  return { code: 'bad_request', message: `malformed request: ${message}; expected ${expected}`, path };
}

export function errorBody(e: unknown, reportInternal: (e: unknown) => void): ApiErrorBody {
  const body = toErrorBody(e);
  if (body.code === 'internal') reportInternal(e);
  return body;
}
