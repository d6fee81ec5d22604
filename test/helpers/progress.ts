// Waiting on work another process does, without a fixed time limit: a wait fails only when the work
// stops moving (its progress unchanged for `idleMs`), never because the machine is slow or busy.

/** Waits until `done()` holds; fails when `progress()` (any value, compared as JSON) stays the same for idleMs. */
export async function untilDone(what: string, done: () => boolean, progress: () => unknown, idleMs = 120_000): Promise<void> {
  let last = JSON.stringify(progress());
  let since = Date.now();
  while (!done()) {
    await new Promise((r) => setTimeout(r, 50));
    const now = JSON.stringify(progress());
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > idleMs) {
      throw new Error(`${what}: no progress for ${Math.round(idleMs / 1000)} s (stuck at ${now})`);
    }
  }
}

/** Awaits `work`; fails when `progress()` stays the same for idleMs while it runs. */
export async function whileProgressing<T>(what: string, work: Promise<T>, progress: () => unknown, idleMs = 120_000): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  const stalled = untilDone(what, () => settled, progress, idleMs);
  return Promise.race([watched, stalled.then(() => watched)]);
}
