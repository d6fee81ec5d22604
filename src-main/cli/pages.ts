// Every item of a paged list method (offset, limit -> total, items), fetched a page at a time: what a CLI
// listing prints in full.
export async function allPages<T>(page: (q: { offset: number; limit: number }) => Promise<{ total: number; items: T[] }>, limit = 1000): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const p = await page({ offset: out.length, limit });
    out.push(...p.items);
    if (p.items.length === 0 || out.length >= p.total) return out;
  }
}
