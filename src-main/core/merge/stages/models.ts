// Merge stage: models, by name and every recorded field but version, path and provenance, plus a hash of
// the model folder's files; the same name with other content comes in as the next version of that name.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelLabel } from '../../../../src-shared/modelLabel';
import { canonicalValue, folderHash } from '../identity';
import type { Row, SourceMerge } from '../sourceMerge';

function folderHashOf(m: SourceMerge, path: unknown): string | null {
  if (typeof path !== 'string' || path === '') return null;
  if (!m.folderHashes.has(path)) m.folderHashes.set(path, folderHash(path));
  return m.folderHashes.get(path)!;
}

/** The fields that differ between two model rows, [] when they are the same model. */
function modelDifferences(m: SourceMerge, a: Row, b: Row): string[] {
  const skip = new Set(['id', 'name', 'version', 'path', 'provenance', 'created_at']);
  const diff = m.t.columns('models').filter((c) => !skip.has(c) && canonicalValue(a[c] ?? null) !== canonicalValue(b[c] ?? null));
  if (folderHashOf(m, a.path) !== folderHashOf(m, b.path)) diff.push('files');
  return diff;
}

export function mergeModels(m: SourceMerge): void {
  type ModelRow = Row & { id: number; name: string; version: number; path: string; provenance: string | null; endpoint?: string | null };
  for (const row of m.s.rows('models') as ModelRow[]) {
    const sameName = m.t.modelsNamed(row.name) as ModelRow[];
    const differences = sameName.map((c) => modelDifferences(m, row, c));
    const match = sameName.find((_, i) => differences[i].length === 0);
    if (match) {
      m.models.set(row.id, match.id);
      m.modelLabels.set(modelLabel(row), modelLabel(match));
      m.count('models', 'skipped');
      continue;
    }
    const version = m.t.nextModelVersion(row.name);
    let path = row.path;
    const isFolder = folderHashOf(m, row.path) !== null;
    if (isFolder) {
      const base = join(m.target.paths.modelsDir, `${row.name}-v${version}`);
      let dest = base;
      for (let n = 2; existsSync(dest); n++) dest = `${base}-merged${n === 2 ? '' : n}`;
      mkdirSync(m.target.paths.modelsDir, { recursive: true });
      m.copyInto(row.path, dest, true);
      path = dest;
    } else if (!row.endpoint) {
      m.conflict('models', `model "${modelLabel(row)}": its folder ${row.path} is missing; merged with that path, it cannot run until the folder is back`);
    }
    const id = m.insert('models', { ...row, version, path, provenance: modelProvenance(m, row) });
    m.models.set(row.id, id);
    m.modelLabels.set(modelLabel(row), modelLabel({ name: row.name, version }));
    m.count('models', 'added');
    if (sameName.length > 0) {
      const what = [...new Set(differences.flat())].join(', ');
      m.conflict('models', `model "${modelLabel(row)}" differs from the target's "${row.name}" (${what}); added as "${modelLabel({ name: row.name, version })}"`);
    }
  }
}

/** The source's provenance, its workspace-local ids (job, cycle) moved under mergedFrom so they cannot be read as the target's. */
function modelProvenance(m: SourceMerge, row: { name: string; version: number; provenance: string | null }): string {
  const prov = row.provenance ? (JSON.parse(row.provenance) as unknown) : null;
  const base: Row = prov && typeof prov === 'object' && !Array.isArray(prov) ? { ...(prov as Row) } : prov === null ? {} : { original: prov };
  const local: Row = {};
  for (const k of ['job', 'cycleId']) {
    if (k in base) {
      local[k] = base[k];
      delete base[k];
    }
  }
  return JSON.stringify({ ...base, mergedFrom: { workspace: m.src.ws.dir, model: modelLabel(row), ...local } });
}
