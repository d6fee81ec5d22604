// The page's CSP has no 'unsafe-eval'. Zod's fast path probes `new Function`, and the browser reports that
// probe as a CSP violation even though zod catches it, so the renderer runs zod without it.
import { config } from 'zod';

config({ jitless: true });
