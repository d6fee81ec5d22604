// Turns anything a call can throw into one line a person can read.
import { ApiError } from '../src-shared/api';

const LABEL: Record<ApiError['code'], string> = {
  bad_request: 'Invalid request',
  unauthorized: 'Not authorized',
  not_found: 'Not found',
  user_error: 'Cannot do that',
  internal: 'Internal error',
};

export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `${LABEL[e.code]}: ${e.message}`;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
