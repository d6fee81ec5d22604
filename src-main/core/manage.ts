// manage.dependents / manage.rename / manage.delete over a workspace's store (the SQL is in
// store/manage.ts). Here: which jobs in progress stop a rename or a delete, the one transaction, and a
// model folder removed from the workspace's models/ only after that transaction commits.
import { rmSync } from 'node:fs';
import { relative, resolve, isAbsolute, sep } from 'node:path';
import { MODEL_NAME } from '../../src-shared/jobConfigs';
import { MANAGE_KIND_LABEL, type ManageKind, type ManagePlan, type ManageRenamed } from '../../src-shared/manage';
import { UserError } from './errors';
import type { Store } from './store';
import type { ManageResolved, ManageStorePlan } from './store/manage';

/** Whether a job's settings name it: any string in them equal to one of its names, or its search id in `searches`. */
function names(config: unknown, t: ManageResolved): boolean {
  const want = new Set(t.jobNames);
  const walk = (v: unknown, key: string): boolean => {
    if (typeof v === 'string') return want.has(v);
    if (typeof v === 'number') return t.kind === 'search' && key === 'searches' && t.ids.includes(v);
    if (Array.isArray(v)) return v.some((x) => walk(x, key));
    if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => walk(x, k));
    return false;
  };
  return walk(config, '');
}

/** The jobs in progress (queued, running, interrupted) that name the target or made rows that would go. */
function jobsInTheWay(store: Store, t: ManageResolved, makers: number[]): string[] {
  return store.manage
    .unfinishedJobs()
    .filter((j) => makers.includes(j.id) || names(j.config, t))
    .map((j) => `${j.kind} job ${j.id} (${j.state}) uses ${MANAGE_KIND_LABEL[t.kind]} ${quote(t)}: wait for it to end or cancel it${j.state === 'interrupted' ? ' (jobs --cancel)' : ''}`);
}

const quote = (t: ManageResolved): string => (t.kind === 'search' && t.name.startsWith('#') ? t.name : `"${t.name}"`);

/** A model folder this workspace owns: under its models/ (a bundled model's folder in the repository never is). */
function ownedFolder(store: Store, path: string): boolean {
  const rel = relative(resolve(store.paths.modelsDir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.includes(`..${sep}`);
}

function publicPlan(store: Store, p: ManageStorePlan, jobBlockers: string[]): ManagePlan {
  const folders = p.modelPaths.filter((f) => ownedFolder(store, f));
  const keeps = [...p.keeps];
  for (const f of p.modelPaths) if (!ownedFolder(store, f)) keeps.push(`its folder ${f} (outside the workspace's models/; only unregistered)`);
  return {
    kind: p.target.kind,
    id: p.target.id,
    name: p.target.name,
    rows: p.rows,
    total: p.total,
    objects: p.objects,
    keeps,
    blockers: [...jobBlockers, ...p.blockers],
    folders,
  };
}

export function manageDependents(store: Store, kind: ManageKind, ref: string | number): ManagePlan {
  const t = store.manage.resolve(kind, ref);
  const p = store.manage.plan(t);
  return publicPlan(store, p, jobsInTheWay(store, t, p.makers));
}

export function manageDelete(store: Store, kind: ManageKind, ref: string | number): ManagePlan {
  // planned and deleted in one transaction: what is counted is what goes
  const out = store.manage.transaction(() => {
    const t = store.manage.resolve(kind, ref);
    const p = store.manage.plan(t);
    const plan = publicPlan(store, p, jobsInTheWay(store, t, p.makers));
    if (plan.blockers.length) throw new UserError(`cannot delete ${MANAGE_KIND_LABEL[kind]} ${quote(t)}: ${plan.blockers[0]}; nothing was deleted`);
    store.manage.deleteClosure(p.closure);
    return plan;
  });
  // only now that the rows are gone: the model's files (a failure here leaves a folder, never a dangling row)
  for (const folder of out.folders) {
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch (e) {
      out.keeps.push(`its folder ${folder}, which could not be removed (${(e as Error).message}): remove it by hand`);
    }
  }
  return out;
}

export function manageRename(store: Store, kind: ManageKind, ref: string | number, newName: string): ManageRenamed {
  const name = newName.trim();
  return store.manage.transaction(() => {
    const t = store.manage.resolve(kind, ref);
    const label = MANAGE_KIND_LABEL[kind];
    const previous = kind === 'model' ? t.jobNames[0] : t.name;
    if (kind !== 'annotationSet' && /^#?\d+$/.test(name)) throw new UserError(`a ${label} name of digits only reads as an id: give a name with a letter in it`);
    if ((kind === 'model' || kind === 'cycleRun') && !MODEL_NAME.test(name)) throw new UserError(`a ${label} name has letters, digits, . _ - (max 100, a letter or digit first): "${name}" has not`);
    if (store.manage.nameInUse(t, name)) throw new UserError(`another ${label} is named "${name}": choose another name; nothing was renamed`);
    if (name === previous) return { kind, id: t.id, previous, name, rows: 0 };
    const jobs = store.manage.unfinishedJobs().filter((j) => names(j.config, t));
    if (jobs.length) throw new UserError(`${jobs[0].kind} job ${jobs[0].id} (${jobs[0].state}) names ${label} ${quote(t)} in its settings: rename it when the job has ended; nothing was renamed`);
    const rows = store.manage.rename(t, name);
    return { kind, id: t.id, previous, name, rows };
  });
}
