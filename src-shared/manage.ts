// Managing what a researcher made: rename and delete datasets, annotation sets, searches, evaluations,
// cycle runs and models (the `manage.*` methods). A delete is planned first (manage.dependents: what goes
// with it, row by row, and what stays), then done in one transaction.
import { z } from 'zod';

export const MANAGE_KINDS = ['dataset', 'annotationSet', 'search', 'evaluation', 'cycleRun', 'model'] as const;
export const ManageKind = z.enum(MANAGE_KINDS);
export type ManageKind = z.infer<typeof ManageKind>;

/** How each kind is written in a sentence and on the command line. */
export const MANAGE_KIND_LABEL: Record<ManageKind, string> = {
  dataset: 'dataset',
  annotationSet: 'annotation set',
  search: 'search',
  evaluation: 'evaluation',
  cycleRun: 'cycle run',
  model: 'model',
};
/** the CLI's spelling of a kind (`steplab delete annotation-set ...`) */
export const MANAGE_KIND_CLI: Record<ManageKind, string> = {
  dataset: 'dataset',
  annotationSet: 'annotation-set',
  search: 'search',
  evaluation: 'evaluation',
  cycleRun: 'cycle-run',
  model: 'model',
};

/**
 * What a manage call acts on: a name, or an id (a number, or a string of digits that is no name of that
 * kind). A model is `name` (every version), `name@version` or its id; an annotation set has only a name.
 */
export const ManageTarget = z
  .object({
    kind: ManageKind,
    ref: z.union([z.number().int().min(1), z.string().trim().min(1).max(200)]),
  })
  .strict();
export type ManageTarget = z.infer<typeof ManageTarget>;

/** One kind of row that goes, with how many. */
export const ManageRows = z.object({ what: z.string(), count: z.number().int().min(0) }).strict();
/** A thing a researcher knows by name that goes with the target (an evaluation made on a dataset, say). */
export const ManageObject = z.object({ kind: ManageKind, id: z.number().int().nullable(), name: z.string() }).strict();
export type ManageObject = z.infer<typeof ManageObject>;

export const ManagePlan = z
  .object({
    kind: ManageKind,
    /** the target's id (null for an annotation set) and its name as shown */
    id: z.number().int().nullable(),
    name: z.string(),
    /** the rows that go, by table in words, those with none left out; total: their sum */
    rows: z.array(ManageRows),
    total: z.number().int(),
    /** named objects deleted with it */
    objects: z.array(ManageObject),
    /** what stays although it is linked (problems another dataset holds, models a cycle run registered) */
    keeps: z.array(z.string()),
    /** why the delete is refused now (a job using it, another object needing its rows); empty: it can go */
    blockers: z.array(z.string()),
    /** model folders removed from the workspace's models/ after the transaction commits */
    folders: z.array(z.string()),
  })
  .strict();
export type ManagePlan = z.infer<typeof ManagePlan>;

export const ManageRenamed = z
  .object({ kind: ManageKind, id: z.number().int().nullable(), previous: z.string(), name: z.string(), rows: z.number().int() })
  .strict();
export type ManageRenamed = z.infer<typeof ManageRenamed>;
