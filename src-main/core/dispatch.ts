// The one entry every transport calls: validate the request against the contract, run the handler,
// and turn any failure into the typed error envelope.
import { ApiError, contract, isMethod, parseInput, type ApiErrorBody, type ApiHandlers, type Method } from '../../src-shared/api';
import { NotFoundError, UserError, describeSystemError } from './errors';

export async function dispatch(handlers: ApiHandlers, method: string, params: unknown): Promise<unknown> {
  if (!isMethod(method)) throw new ApiError('not_found', `unknown method "${method}"`);
  const input = parseInput(method, params);
  const fn = handlers[method] as (i: unknown) => unknown;
  const out = await fn(input);
  return contract[method as Method].output.parse(out);
}

export function toErrorBody(e: unknown): ApiErrorBody {
  if (e instanceof ApiError) return e.toBody();
  if (e instanceof NotFoundError) return { code: 'not_found', message: e.message };
  if (e instanceof UserError) return { code: 'user_error', message: e.message };
  const system = describeSystemError(e);
  if (system !== null) return { code: 'user_error', message: system };
  const err = e as Error;
  return { code: 'internal', message: `internal error: ${err?.message ?? String(e)}` };
}
