// The merge report as lines for a person and as one JSON object for a script.
import { MERGE_KINDS, type MergeReport } from './merge';

/** {"into","created","sources":[...],"added":{kind:n},"skipped":{kind:n},"conflicts":[...],"not_merged":[...]} */
export function mergeReportJson(r: MergeReport): Record<string, unknown> {
  const pick = (what: 'added' | 'skipped', c = r.totals) => Object.fromEntries(MERGE_KINDS.map((k) => [k, c[k][what]]));
  return {
    into: r.into,
    created: r.created,
    sources: r.sources.map((s) => ({ source: s.source, schema_version: s.schemaVersion, added: pick('added', s.counts), skipped: pick('skipped', s.counts), conflicts: s.conflicts.length, not_merged: s.notMerged })),
    added: pick('added'),
    skipped: pick('skipped'),
    conflicts: r.conflicts,
    not_merged: r.sources.flatMap((s) => s.notMerged.map((n) => ({ source: s.source, ...n }))),
  };
}

export function mergeReportLines(r: MergeReport, table: (head: string[], rows: string[][]) => string): string[] {
  const n = r.sources.length;
  const lines = [`merged ${n} workspace${n === 1 ? '' : 's'} into ${r.into}${r.created ? ' (a new workspace)' : ''}`];
  lines.push(table(['kind', 'added', 'skipped'], MERGE_KINDS.map((k) => [k, String(r.totals[k].added), String(r.totals[k].skipped)])));
  for (const c of r.conflicts) lines.push(`conflict: ${c.source}: ${c.kind}: ${c.message}`);
  for (const s of r.sources) {
    if (s.notMerged.length) lines.push(`not merged from ${s.source}: ${s.notMerged.map((x) => `${x.table} (${x.rows} rows)`).join(', ')}`);
  }
  return lines;
}
