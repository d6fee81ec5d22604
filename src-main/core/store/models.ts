import type { EndpointConfig, ModelRecord, ModelRole } from '../../../src-shared/domain';
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';

const ROLE_NAMES: Record<ModelRole, string> = { policy: 'a policy', prm: 'a PRM', orm: 'an ORM', judge: 'a judge' };

interface ModelRow {
  id: number;
  name: string;
  version: number;
  role: ModelRole;
  family: string | null;
  path: string;
  manifest: string;
  provenance: string | null;
  endpoint: string | null;
  created_at: string;
}

export class ModelsRepo {
  constructor(private readonly db: DB) {}

  /** Registers a new version of the named model (1 for a new name). */
  register(m: { name: string; role: ModelRole; family: string | null; path: string; manifest: unknown; provenance?: unknown; endpoint?: EndpointConfig | null }): ModelRecord {
    const version =
      (this.db.prepare('SELECT coalesce(max(version), 0) + 1 AS v FROM models WHERE name = ?').get(m.name) as { v: number }).v;
    const id = Number(
      this.db
        .prepare('INSERT INTO models (name, version, role, family, path, manifest, provenance, endpoint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(m.name, version, m.role, m.family, m.path, toJson(m.manifest), m.provenance === undefined ? null : toJson(m.provenance), m.endpoint ? toJson(m.endpoint) : null, nowIso())
        .lastInsertRowid,
    );
    return this.get(id);
  }

  /** The version the next model registered under this name gets (1 for a new name). */
  nextVersion(name: string): number {
    return (this.db.prepare('SELECT coalesce(max(version), 0) + 1 AS v FROM models WHERE name = ?').get(name) as { v: number }).v;
  }

  get(id: number): ModelRecord {
    const r = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!r) throw new NotFoundError(`model ${id} not found`);
    return hydrate(r);
  }

  /** The latest version of a model by name, or `name@version`. */
  byName(ref: string): ModelRecord {
    const [name, v] = ref.split('@');
    const r = (
      v === undefined
        ? this.db.prepare('SELECT * FROM models WHERE name = ? ORDER BY version DESC LIMIT 1').get(name)
        : this.db.prepare('SELECT * FROM models WHERE name = ? AND version = ?').get(name, Number(v))
    ) as ModelRow | undefined;
    if (!r) throw new NotFoundError(`model "${ref}" is not registered`);
    return hydrate(r);
  }

  /** byName, and a one-line error when the model has another role (a policy given where a PRM is needed). */
  withRole(ref: string, role: ModelRole): ModelRecord {
    const m = this.byName(ref);
    if (m.role !== role) throw new UserError(`model "${ref}" is a ${m.role} model, not ${ROLE_NAMES[role]}`);
    return m;
  }

  list(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY name, version').all() as ModelRow[]).map(hydrate);
  }
}

function hydrate(r: ModelRow): ModelRecord {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    role: r.role,
    family: r.family,
    path: r.path,
    manifest: fromJson<unknown>(r.manifest, {}),
    provenance: fromJson<unknown>(r.provenance, null),
    endpoint: fromJson<EndpointConfig | null>(r.endpoint, null),
    createdAt: r.created_at,
  };
}
