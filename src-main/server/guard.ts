// Who the host answers: a request must name this host (a DNS-rebinding guard), come from no other web page,
// and carry the per-launch token (a Bearer header, `?token=`, or the cookie the token URL sets).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'steplab_token';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface RequestGuard {
  hostAllowed(req: IncomingMessage): boolean;
  /** A browser names the page that sent a request; only pages served by this host may use it. */
  originAllowed(req: IncomingMessage): boolean;
  authorized(req: IncomingMessage, url: URL): boolean;
}

/** The guard for one host: `port()` is read at each request (it is known once the host listens). */
export function requestGuard(token: string, port: () => number): RequestGuard {
  const tokenDigest = digest(token);
  // Hashing both sides gives equal lengths, which timingSafeEqual needs, without leaking the token's length.
  const tokenMatches = (candidate: string | undefined): boolean =>
    typeof candidate === 'string' && candidate.length > 0 && timingSafeEqual(digest(candidate), tokenDigest);
  return {
    hostAllowed(req) {
      const host = req.headers.host?.toLowerCase();
      return host === `127.0.0.1:${port()}` || host === `localhost:${port()}`;
    },
    originAllowed(req) {
      const origin = req.headers.origin;
      return origin === undefined || origin.toLowerCase() === `http://${req.headers.host?.toLowerCase()}`;
    },
    authorized(req, url) {
      const auth = req.headers.authorization;
      if (auth !== undefined) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
        if (m && tokenMatches(m[1])) return true;
      }
      if (tokenMatches(url.searchParams.get('token') ?? undefined)) return true;
      return cookieValues(req.headers.cookie, TOKEN_COOKIE).some(tokenMatches);
    },
  };
}

function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    out.push(part.slice(eq + 1).trim());
  }
  return out;
}
