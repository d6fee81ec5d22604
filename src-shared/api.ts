// The one list of operations the UI and CLI can ask of the core, with a zod schema for every
// request and response. Hosts (HTTP/WebSocket, Electron IPC) parse every call against it.
import { z } from 'zod';
import { CycleRun, Reflection } from './cycles';
import {
  AnnotationRecord,
  AnnotationSet,
  NodeDisagreement,
  SolutionConflict,
  EvaluationProblem,
  ScoredSolution,
  CurationActionSchema,
  EvaluationComparison,
  EvaluationRecord,
  EvaluationSummary,
  ROLLOUT_SHAPES,
  NodePrmScores,
  AnswerType,
  AnnotationExportFormat,
  Dataset,
  ImportReport,
  Job,
  ModelRecord,
  Problem,
  ProblemExportFormat,
  ProblemFormat,
  FieldMap,
  SearchEventRecord,
  SearchSummary,
  TreeNode,
  Verdict,
} from './domain';
import { ApiEvent } from './events';
import { BON_METHODS } from './aggregate';
import { ImportJobConfig, ImportLabelsJobConfig, ImportLimits, JobRequest } from './jobConfigs';
import { BenchFormat, BenchRowView, ContaminationReport } from './benchmarks';
import { ManagePlan, ManageRenamed, ManageTarget } from './manage';
import { formatZodIssue, issuePath } from './zodMessage';

const Empty = z.object({}).strict();

/** what a benchmark file's import added (benchmarks.import, benchmarks.importPath) */
const BenchImportReport = z
  .object({
    format: BenchFormat,
    dataset: z.string(),
    file: z.string(),
    split: z.string(),
    rows: z.number().int(),
    added: z.number().int(),
    present: z.number().int(),
    duplicates: z.number().int(),
    problems: z.object({ created: z.number().int(), existing: z.number().int() }).strict(),
    images: z.number().int(),
  })
  .strict();
/** what one search cost; null where its stats do not record it (imported or older searches) */
const SearchCosts = z
  .object({
    searchId: z.number().int(),
    algorithm: z.string(),
    nodes: z.number().int(),
    rollouts: z.number().int(),
    policyCalls: z.number().int().nullable(),
    tokens: z.number().int().nullable(),
    wallMs: z.number().nullable(),
    inferenceMs: z.number().nullable(),
    labelledSteps: z.number().int().nullable(),
    firstErrors: z.number().int(),
    tokensPerLabelledStep: z.number().nullable(),
  })
  .strict();
/** a search against gold step labels (where its problem has them): per node, and counted over the tree */
const SearchGold = z
  .object({
    searchId: z.number().int(),
    /** where the gold labels come from; null when the problem has none (then every array is empty) */
    source: z.string().nullable(),
    /** element i describes node ids[i]: the gold label of its last step (1 right, 0 wrong, null none), whether every step through it is right */
    ids: z.array(z.number().int()),
    last: z.array(z.union([z.literal(0), z.literal(1)]).nullable()),
    prefixOk: z.array(z.boolean().nullable()),
    /** the nodes that hold their path's gold first error */
    goldFirstErrors: z.array(z.number().int()),
    /**
     * firstErrors (the search's): found (at the gold first error), late (after it), early (before it, or on
     * a path gold calls right); labelled prefixes: falseAlarm (MC = 0, gold right), missed (MC > 0, gold wrong)
     */
    summary: z
      .object({
        firstErrors: z.number().int(),
        found: z.number().int(),
        late: z.number().int(),
        early: z.number().int(),
        labelled: z.number().int(),
        falseAlarm: z.number().int(),
        missed: z.number().int(),
        goldFirstErrors: z.number().int(),
      })
      .strict()
      .nullable(),
  })
  .strict();
/** a row of the Problems table: the problem with its counts and label status */
const ProblemListItem = Problem.extend({
  imageCount: z.number().int(),
  solutions: z.number().int(),
  correct: z.number().int(),
  label: z.enum(['search', 'curated', 'none']),
}).strict();
const HeatmapData = z
  .object({
    dataset: z.string(),
    split: z.string().nullable(),
    source: z.enum(['prm', 'mc']),
    /** the PRM whose scores colour the rows (prm) or picked them (mc); null when none scored the dataset */
    prm: z.string().nullable(),
    /** every PRM that scored this dataset's solutions */
    prms: z.array(z.string()),
    pick: z.enum(['best', 'worst', 'first']),
    policy: z.string().nullable(),
    /** problems in the dataset (split); those without a solution (and, for MC, without a search-labelled path) have no row */
    problems: z.number().int(),
    /** MC source: rows read from search-labelled paths (the rest match a solution's steps against the trees) */
    fromSearches: z.number().int().optional(),
    rows: z.array(
      z
        .object({
          problemId: z.number().int(),
          extId: z.string(),
          /** the chosen solution; null for a row read from a search's labelled path (MC source) */
          solutionId: z.number().int().nullable(),
          verdict: Verdict.nullable(),
          candidates: z.number().int(),
          scores: z.array(z.number().nullable()),
          /** MC source: a search-labelled path (its search, annotation and the tree node of each step) */
          searchId: z.number().int().optional(),
          annotationId: z.number().int().optional(),
          nodes: z.array(z.number().int().nullable()).optional(),
        })
        .strict(),
    ),
  })
  .strict();
const WorkspaceInfo = z.object({
  path: z.string(),
  schemaVersion: z.number().int(),
  appVersion: z.string(),
  problems: z.number().int(),
  datasets: z.number().int(),
  images: z.number().int(),
});
/** the job kinds the UI's launch form starts (jobs.start takes every kind) */
export const LaunchableKind = z.enum(['search', 'score', 'bon']);
/** what a merge counts, one kind per table it carries */
export const MERGE_KINDS = [
  'images',
  'problems',
  'datasets',
  'dataset_members',
  'models',
  'solutions',
  'step_scores',
  'searches',
  'tree_nodes',
  'search_events',
  'node_scores',
  'annotations',
  'curation_edits',
] as const;
const MergeCounts = z.record(z.enum(MERGE_KINDS), z.object({ added: z.number().int(), skipped: z.number().int() }).strict());
const MergeConflict = z.object({ source: z.string(), kind: z.enum(MERGE_KINDS), message: z.string() }).strict();
/** what a merge did: per source and in total, with the conflicts it resolved */
const MergeReport = z
  .object({
    into: z.string(),
    created: z.boolean(),
    sources: z.array(
      z
        .object({
          source: z.string(),
          schemaVersion: z.number().int(),
          counts: MergeCounts,
          conflicts: z.array(MergeConflict),
          notMerged: z.array(z.object({ table: z.string(), rows: z.number().int() }).strict()),
        })
        .strict(),
    ),
    totals: MergeCounts,
    conflicts: z.array(MergeConflict),
  })
  .strict();
const EndpointHealth = z.object({ url: z.string(), ok: z.boolean(), ms: z.number(), detail: z.string() }).strict();
const PathIn = z.string().min(1).max(4096);
/** rollout texts kept with a tree node, each rollout a list of steps */
const NodeRollouts = z.object({ correct: z.array(z.array(z.string())), incorrect: z.array(z.array(z.string())) }).strict();
const Name = z.string().min(1).max(200);
/** a step-level benchmark's file or folder to import (benchmarks.import, benchmarks.importPath) */
const BenchImportInput = z
  .object({
    path: PathIn,
    dataset: Name,
    format: BenchFormat,
    /** the split the rows go to: a file's by default its name without its extension; a folder's files are each their own split */
    split: z.string().min(1).max(100).optional(),
    /** VisualProcessBench: where the image paths are (`--image-root`) */
    imageRoot: PathIn.optional(),
    /** read images outside the file's folder and the --image-root folder (`--allow-outside`) */
    allowOutside: z.boolean().default(false),
    /** size caps other than the defaults (`--max-question-bytes` ...) */
    limits: ImportLimits.optional(),
  })
  .strict();
const DatasetQuery = z.object({
  dataset: Name,
  split: z.string().min(1).max(100).optional(),
  limit: z.number().int().min(1).max(1_000_000).optional(),
});

/** One curation edit: relabel (value), text (a curated step text), comment, or accept/reject a whole path (no step). */
const CurationEditInput = z
  .object({
    annotationId: z.number().int(),
    stepIdx: z.number().int().min(0).nullable().default(null),
    action: CurationActionSchema,
    value: z.number().min(0).max(1).nullable().default(null),
    text: z.string().max(100_000).nullable().default(null),
    comment: z.string().max(10_000).nullable().default(null),
  })
  .strict();

export const contract = {
  'workspace.info': { input: Empty, output: WorkspaceInfo },
  /** switches the host to another workspace folder (create: makes a new one there); every client is told by a workspace event */
  'workspace.open': {
    input: z.object({ path: z.string().min(1).max(4096), create: z.boolean().default(false) }).strict(),
    output: WorkspaceInfo,
  },
  /** the workspaces opened lately on this machine, newest first, each with whether it is still there */
  'workspace.recent': {
    input: Empty,
    output: z.array(z.object({ path: z.string(), openedAt: z.string(), exists: z.boolean() }).strict()),
  },
  /** who curation records name: the name set once (kept with the recent workspaces), or the account running Steplab */
  'curator.get': { input: Empty, output: z.object({ name: z.string(), source: z.enum(['set', 'system']) }).strict() },
  'curator.set': {
    input: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
    output: z.object({ name: z.string(), source: z.enum(['set', 'system']) }).strict(),
  },
  /** the datasets by name, a page at a time (offset, limit), with how many there are in all */
  'datasets.list': {
    input: z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(Dataset) }),
  },
  'datasets.get': { input: z.object({ name: Name }).strict(), output: Dataset },
  'problems.list': {
    input: z
      .object({
        dataset: Name,
        split: z.string().min(1).max(100).optional(),
        search: z.string().max(500).optional(),
        hasImage: z.boolean().optional(),
        answerType: AnswerType.optional(),
        /** solved: a stored solution verified correct; unsolved: solutions, none correct; none: no solutions */
        solved: z.enum(['solved', 'unsolved', 'none']).optional(),
        /** search: labelled by a search, not curated; curated: a curation edit in force; none: unlabelled */
        label: z.enum(['search', 'curated', 'none']).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(ProblemListItem) }),
  },
  /** one problem with the hashes of its images whose files are gone from the workspace's image store */
  'problems.detail': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z.object({ problem: Problem, missingImages: z.array(z.string()) }),
  },
  /**
   * the dataset heatmap: one row per problem (its chosen solution), one value per step, from a PRM's
   * scores or the steps' Monte-Carlo values (MC: a problem's search-labelled path where it has one, with
   * curation applied, picked best / worst by its lowest label or the first longest; else the chosen
   * solution's steps matched against the trees); compact arrays, nulls where a step has no value
   */
  'heatmap.dataset': {
    input: z
      .object({
        dataset: Name,
        split: z.string().min(1).max(100).optional(),
        source: z.enum(['prm', 'mc']).default('prm'),
        /** name or name@version; defaults to the last PRM that scored this dataset's solutions */
        prm: z.string().min(1).max(200).optional(),
        /** only this policy's solutions (name or name@version) */
        policy: z.string().min(1).max(200).optional(),
        /** best / worst: the PRM's highest / lowest by minimum step score; first: the earliest stored */
        pick: z.enum(['best', 'worst', 'first']).default('best'),
        limit: z.number().int().min(1).max(20_000).default(5000),
      })
      .strict(),
    output: HeatmapData,
  },
  /** a problem by the dataset it is in and its id there (the id a researcher knows it by) */
  'problems.find': {
    input: z.object({ dataset: Name, extId: z.string().min(1).max(500) }).strict(),
    output: z.object({ id: z.number().int() }).strict(),
  },
  /** what was made of one problem: its searches and its annotation sets (with the searches they came from) */
  'problems.work': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z
      .object({
        searches: z.array(SearchSummary),
        annotationSets: z.array(z.object({ name: z.string(), annotations: z.number().int(), curated: z.number().int(), searchIds: z.array(z.number().int()) }).strict()),
      })
      .strict(),
  },
  'problems.get': { input: z.object({ id: z.number().int() }).strict(), output: Problem },
  'jobs.list': {
    input: z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.array(Job),
  },
  'jobs.get': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  'jobs.cancel': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  /**
   * starts a job of any kind: the request is one value of the JobRequest union (src-shared/jobConfigs.ts),
   * parsed here once; what would fail later (an unknown model or dataset, a model of another role, a
   * cycle's missing split or trainer) is refused before the job is made
   */
  'jobs.start': { input: JobRequest, output: Job },
  /**
   * what a long CLI command does: starts the job, unless a job of the same identity (kind and whole config)
   * exists: an unfinished one is resumed (reuse "resumed"; job: as it was found, its state before the
   * resume), a finished one returned as it is ("done");
   * restart: the unfinished one's partial rows are removed and a new job started ("restarted"; previous:
   * the old job, now cancelled). Refused, in one line, where a job is running with those settings, where a
   * finished job is asked to restart, and where a kind cannot start over (score, cycle)
   */
  /**
   * the pre-flight of jobs.start without starting anything: null when the core would start the job, else
   * the one line it would refuse it with (an unknown model, a PRM without its tokens, an endpoint that does
   * not answer, ...); a launch form asks it as the config is edited
   */
  'jobs.check': { input: JobRequest, output: z.object({ refused: z.string().nullable() }).strict() },
  'jobs.startOrResume': {
    input: z.object({ request: JobRequest, restart: z.boolean().default(false) }).strict(),
    output: z.object({ job: Job, reuse: z.enum(['new', 'resumed', 'done', 'restarted']), previous: z.number().int().nullable() }).strict(),
  },
  /** resolves when the job has ended (done, failed or cancelled); the CLI waits on its jobs through it */
  'jobs.wait': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  /** queues every queued or interrupted job of the workspace (what a host does when it starts) */
  'jobs.resumeAll': { input: Empty, output: z.object({ ids: z.array(z.number().int()) }).strict() },
  /**
   * removes failed and cancelled jobs (finished before now − olderThanMs, when given) from the list; never a
   * queued, running, interrupted or done one, and not one whose work is still in the workspace (the trees
   * of a cancelled search, say): those are kept, each with the reason
   */
  'jobs.prune': {
    input: z.object({ olderThanMs: z.number().int().min(0).optional() }).strict(),
    output: z
      .object({
        removed: z.array(z.number().int()),
        kept: z.array(z.object({ id: z.number().int(), reason: z.string() }).strict()),
      })
      .strict(),
  },
  /** continues an interrupted, failed or cancelled job from its checkpoint (refused, with the reason, where it cannot) */
  'jobs.resume': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  /**
   * imports a file into a dataset as a job; an import of the same file into the same dataset that was
   * interrupted is resumed from its checkpoint instead (resumed: true). Reads a path: see LOCAL_ONLY.
   */
  'import.start': {
    /** the import job's config (src-shared/jobConfigs.ts), no other key */
    input: ImportJobConfig.strict(),
    output: Job.extend({ resumed: z.boolean() }),
  },
  /**
   * a step-level benchmark file (ProcessBench, VisualProcessBench, PRMBench) into a dataset: one solution
   * per row with its gold step labels, keyed by the row's id; one transaction per file, nothing written
   * when it is refused, nothing added when imported again (a path: CLI and Electron only)
   */
  'benchmarks.import': {
    input: BenchImportInput,
    output: BenchImportReport,
  },
  /**
   * a step-level benchmark's file, or a folder of its split files (each .json / .jsonl / .parquet file under
   * it one split, named after the file: ProcessBench's gsm8k.json, math.json, ...), as `steplab import-labels
   * --format processbench|visualprocessbench|prmbench` and the import-labels form take it; one report per
   * file, each file imported whole or not at all (a path: CLI and Electron only)
   */
  'benchmarks.importPath': {
    input: BenchImportInput,
    output: z.object({ files: z.array(BenchImportReport) }).strict(),
  },
  /**
   * benchmark problems of a dataset's rows (a split, or it and the split a threshold is chosen on) that
   * appear in the PRM's training annotation set, by content fingerprint or normalised question text
   */
  'benchmarks.contamination': {
    input: z
      .object({ dataset: Name, prm: Name, split: z.string().min(1).max(100).optional(), sweepOn: z.string().min(1).max(100).optional() })
      .strict(),
    output: ContaminationReport,
  },
  /** search trees exported with `export annotations --format tree`, read back (a path: CLI and Electron only) */
  'import.trees': {
    input: z.object({ path: PathIn }).strict(),
    output: z.object({ searches: z.number().int(), nodes: z.number().int(), skipped: z.number().int() }).strict(),
  },
  /**
   * the field's trees and step-label sets (a file or a folder) as searches and annotations: starts an
   * import-labels job, or resumes the interrupted one with the same settings (resumed: true). Reads a
   * path: see LOCAL_ONLY
   */
  'import.labels': {
    input: ImportLabelsJobConfig,
    output: Job.extend({ resumed: z.boolean() }),
  },
  /** the label formats import-labels reads, in the order it tries them on a file's first record */
  'import.labelFormats': {
    input: Empty,
    output: z.array(z.object({ name: z.string(), description: z.string() }).strict()),
  },
  /** a dataset's search trees, one node per line with parent ids; setName: only the searches of that annotation set (a path: CLI and Electron only) */
  'export.trees': {
    input: DatasetQuery.extend({ out: PathIn, setName: z.string().min(1).max(200).optional() }).strict(),
    output: z.object({ written: z.number().int(), nodes: z.number().int(), path: z.string() }).strict(),
  },
  'export.problems': {
    input: DatasetQuery.extend({ format: ProblemExportFormat.default('jsonl'), out: z.string().min(1) }).strict(),
    output: z.object({ written: z.number().int(), images: z.number().int(), path: z.string() }),
  },
  'export.annotations': {
    input: DatasetQuery.extend({
      format: AnnotationExportFormat,
      out: z.string().min(1),
      setName: z.string().min(1).max(200).optional(),
      /** all (default), only annotations with a curation edit in force, or only those without */
      curation: z.enum(['all', 'curated', 'uncurated']).default('all'),
      /** curated (default): labels and texts with curation applied; original: as the search wrote them */
      labels: z.enum(['curated', 'original']).default('curated'),
      /** rejected paths are left out unless this is set */
      includeRejected: z.boolean().default(false),
      /** trl, openrlhf: write the soft labels (MC floats) instead of booleans / reward tokens */
      softLabels: z.boolean().default(false),
      /** hard label of a step without a curated label: MC > this (0: any rollout from it reached the answer) */
      labelThreshold: z.number().min(0).max(1).default(0),
      /** mmprm: one <prm> per step from the annotations (the older layout) instead of one per search-tree node */
      perStep: z.boolean().default(false),
      /** mmprm: drop paths of at most this many space-separated words (MM-PRM's traverse.py: 10) */
      minWords: z.number().int().min(0).max(1_000_000).default(10),
      /** mmprm: seed of the positive down-sampling */
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
      /** openrlhf: the step placeholder (OpenRLHF's --placeholder_token) */
      placeholderToken: z.string().min(1).max(100).default('ки'),
      /** openrlhf: positive then negative label token (OpenRLHF's --reward_tokens) */
      rewardTokens: z.tuple([z.string().min(1).max(100), z.string().min(1).max(100)]).default(['+', '-']),
    }).strict(),
    output: z.object({ written: z.number().int(), path: z.string() }),
  },
  'verify.check': {
    input: z
      .object({
        answer: z.string(),
        prediction: z.string(),
        answerType: AnswerType.optional(),
        /** the problem's listed choices, A first: a choice's value is accepted for its letter and back */
        choices: z.array(z.string()).max(26).optional(),
        /** decimal places both answers are rounded to (MathVista's `precision`) */
        precision: z.number().int().min(0).max(12).optional(),
        /** false: an unbracketed gold list is a set (default: ordered) */
        ordered: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ verdict: Verdict, extracted: z.string().nullable(), answerType: AnswerType }),
  },
  'models.list': { input: Empty, output: z.array(ModelRecord) },
  /** one registered model by name or name@version; with role, refused in one line when it has another role */
  'models.get': {
    input: z.object({ name: Name, role: ModelRecord.shape.role.optional() }).strict(),
    output: ModelRecord,
  },
  /** the execution providers onnxruntime offers on this machine, in the order they are tried */
  'models.providers': { input: Empty, output: z.array(z.string()) },
  /** an endpoint model's servers: each up (serving the model) or why not, asked now */
  'models.health': { input: z.object({ id: z.number().int() }).strict(), output: z.array(EndpointHealth) },
  /** validates a model folder and registers it (copied into the workspace). Reads a path: CLI and Electron only */
  'models.register': {
    input: z.object({ folder: PathIn, name: Name.optional() }).strict(),
    output: ModelRecord,
  },
  /** registers a model that a server serves, after asking the server (CLI and Electron only: it reaches out to URLs and files) */
  'models.addEndpoint': {
    input: z
      .object({
        name: Name,
        urls: z.array(z.string().min(1).max(2000)).min(1).max(64),
        servedModel: z.string().min(1).max(500),
        role: ModelRecord.shape.role,
        manifestFile: PathIn.optional(),
        apiKeyEnv: z.string().min(1).max(200).nullable().default(null),
        concurrency: z.number().int().min(1).optional(),
        timeoutMs: z.number().int().min(1).optional(),
        retries: z.number().int().min(0).optional(),
        api: z.enum(['auto', 'completions', 'chat']).optional(),
        vision: z.boolean().optional(),
        prmApi: z.enum(['logprobs', 'pooling']).optional(),
        poolingGoodIndex: z.number().int().min(0).optional(),
      })
      .strict(),
    output: ModelRecord,
  },
  /**
   * merges workspaces into `into` by content (created when missing); sources are only read. Needs no open
   * workspace. Reads and writes paths: CLI and Electron only
   */
  'workspace.merge': {
    input: z.object({ sources: z.array(PathIn).min(1).max(256), into: PathIn }).strict(),
    output: MergeReport,
  },
  /**
   * checks a workspace's files without opening it as a workbench (a damaged one cannot be): steplab.db's
   * header, quick_check (full: integrity_check), foreign keys, the image store against its hashes (full:
   * SHA-256 of every file, else sizes), model folders against their manifests. Needs no open workspace;
   * reads a path: CLI and Electron only
   */
  'workspace.check': {
    input: z.object({ path: PathIn, full: z.boolean().default(false) }).strict(),
    output: z
      .object({
        path: z.string(),
        ok: z.boolean(),
        full: z.boolean(),
        ms: z.number(),
        database: z
          .object({
            ok: z.boolean(),
            check: z.enum(['quick_check', 'integrity_check']),
            /** what is wrong with the file's header (zeroed, cut short), or null */
            header: z.string().nullable(),
            messages: z.array(z.string()),
            damagedTables: z.array(z.object({ table: z.string(), message: z.string() }).strict()),
          })
          .strict(),
        /** null when steplab.db cannot be read at all */
        foreignKeys: z
          .object({
            ok: z.boolean(),
            violations: z.number().int(),
            byTable: z.array(z.object({ table: z.string(), parent: z.string(), rows: z.number().int() }).strict()),
            error: z.string().optional(),
          })
          .strict()
          .nullable(),
        images: z
          .object({
            ok: z.boolean(),
            checked: z.number().int(),
            hashed: z.boolean(),
            /** hashes, the first 100 */
            missing: z.array(z.string()),
            missingCount: z.number().int(),
            mismatched: z.array(z.string()),
            mismatchedCount: z.number().int(),
            error: z.string().optional(),
          })
          .strict()
          .nullable(),
        models: z
          .object({
            ok: z.boolean(),
            checked: z.number().int(),
            problems: z.array(z.object({ model: z.string(), problem: z.string() }).strict()),
            error: z.string().optional(),
          })
          .strict()
          .nullable(),
      })
      .strict(),
  },
  /**
   * salvages what can be read of a (damaged) workspace into a new one and reports what was lost; the
   * source is only read. Needs no open workspace; reads and writes paths: CLI and Electron only
   */
  'workspace.recover': {
    input: z.object({ path: PathIn, into: PathIn }).strict(),
    output: z
      .object({
        from: z.string(),
        into: z.string(),
        schemaVersion: z.number().int(),
        headerRebuilt: z.boolean(),
        /** false when sqlite_schema could not be read: rows were placed by their columns alone */
        schemaSalvaged: z.boolean(),
        pages: z.number().int(),
        badPages: z.number().int(),
        walFrames: z.number().int(),
        tables: z.array(
          z
            .object({
              table: z.string(),
              /** rows in the recovered workspace */
              rows: z.number().int(),
              /** every page of the table's tree could be read */
              complete: z.boolean(),
              /** rows the damaged workspace had, from the table's own tree or an intact index (null: cannot be told) */
              expected: z.number().int().nullable(),
              lost: z.number().int().nullable(),
              /** rows salvaged but dropped: they point at rows that were lost */
              droppedOrphans: z.number().int(),
              duplicates: z.number().int(),
            })
            .strict(),
        ),
        unattributedRows: z.number().int(),
        unattributedIndexPages: z.number().int(),
        unattributedFile: z.string().nullable(),
        images: z.object({ copied: z.number().int(), missing: z.number().int(), mismatched: z.number().int() }).strict(),
        models: z.object({ copied: z.number().int(), missing: z.number().int() }).strict(),
        ms: z.number(),
      })
      .strict(),
  },
  /** scores an MM-PRM rollout file with a PRM's ONNX folder into a scored copy (paths: CLI and Electron only) */
  'score.rollouts': {
    input: z
      .object({
        prm: Name,
        rollouts: PathIn,
        out: PathIn,
        /** which MM-PRM evaluator's fields to read; detected from the first item when absent */
        shape: z.enum(ROLLOUT_SHAPES).optional(),
        /** `--field question=<column>`, `--field images=<column>` */
        fields: FieldMap.optional(),
        /** MM-PRM's `--root` */
        imageRoot: PathIn.optional(),
        /** read pictures outside the file's folder and the --image-root folder (`--allow-outside`) */
        allowOutside: z.boolean().default(false),
        /** the size caps (`--max-*`): question, a step (the answer cap), a picture, a line */
        limits: ImportLimits.optional(),
      })
      .strict(),
    output: z
      .object({
        prm: z.string(),
        shape: z.enum(ROLLOUT_SHAPES).nullable(),
        /** how the shape was chosen: `--shape`, or which field of the first item made it */
        shapeFrom: z.string(),
        items: z.number().int(),
        solutions: z.number().int(),
        steps: z.number().int(),
        path: z.string(),
        seconds: z.number(),
      })
      .strict(),
  },
  /** one evaluation as the text of a file: its JSON, its CSV table, or its accuracy-vs-N chart as SVG */
  'evaluations.export': {
    input: z.object({ id: z.number().int(), format: z.enum(['json', 'csv', 'svg']) }).strict(),
    output: z.object({ text: z.string() }).strict(),
  },
  /** a cycle's training set as ShareGPT or TRL SFT conversations, images beside it (a path: CLI and Electron only) */
  'cycles.exportTrainingSet': {
    input: z.object({ run: z.number().int(), cycle: z.number().int().min(0), format: z.enum(['sharegpt', 'trl']), out: PathIn }).strict(),
    output: z.object({ rows: z.number().int(), images: z.number().int(), path: z.string(), hash: z.string() }).strict(),
  },
  'searches.list': {
    input: z
      .object({
        problemId: z.number().int().optional(),
        /** only the searches a search job made */
        jobId: z.number().int().optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(SearchSummary) }),
  },
  'searches.tree': {
    input: z.object({ id: z.number().int() }).strict(),
    /**
     * prm: every PRM's scores of the nodes, beside each node's MC; rollouts: the rollout texts a tree's
     * producer kept (MM-PRM's correct_rollouts / incorrect_rollouts), by node id, for the nodes that have
     * any (a node's judge values are in its meta.judge: yes, no, score)
     */
    output: z.object({ search: SearchSummary, nodes: z.array(TreeNode), prm: z.array(NodePrmScores), rollouts: z.record(z.string(), NodeRollouts).optional() }),
  },
  /** one node's kept rollout texts (each rollout a list of steps), for the explorer's node panel */
  'searches.nodeRollouts': {
    input: z.object({ nodeId: z.number().int() }).strict(),
    output: NodeRollouts.extend({ nodeId: z.number().int() }).strict(),
  },
  'searches.events': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z.array(SearchEventRecord),
  },
  /**
   * searches.tree for the tree explorer: the nodes as columns (element i of each array is the i-th node,
   * in id order; firstError 0/1; searchNode: the node's id in the search that made it, when recorded),
   * a third of the bytes of a big tree and no per-node object to build or check
   */
  'searches.treeColumns': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z
      .object({
        search: SearchSummary,
        columns: z
          .object({
            id: z.array(z.number().int()),
            parentId: z.array(z.number().int().nullable()),
            depth: z.array(z.number().int()),
            stepText: z.array(z.string()),
            visits: z.array(z.number().int()),
            rollouts: z.array(z.number().int()),
            correct: z.array(z.number().int()),
            mc: z.array(z.number().nullable()),
            q: z.array(z.number().nullable()),
            firstError: z.array(z.number().int()),
            searchNode: z.array(z.number().int().nullable()),
          })
          .strict(),
        prm: z.array(NodePrmScores),
        /**
         * imported trees: per node, how many rollout texts its producer kept (searches.nodeRollouts has
         * them), and a judge's view beside MC (MM-PRM's mllm_as_a_judge.py: logprob_yes, logprob_no,
         * llm_as_a_judge), null where a node has none; absent when the tree has neither
         */
        extras: z
          .object({
            keptCorrect: z.array(z.number().int()),
            keptIncorrect: z.array(z.number().int()),
            judge: z.object({ yes: z.array(z.number().nullable()), no: z.array(z.number().nullable()), score: z.array(z.number().nullable()) }).strict().nullable(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  },
  /** the open search against gold step labels (the demo domain's checker; other problems have none) */
  'searches.gold': { input: z.object({ id: z.number().int() }).strict(), output: SearchGold },
  /** two searches of the same problem: each one's costs, and how their MC labels agree on the step prefixes both estimated */
  'searches.compare': {
    input: z.object({ a: z.number().int(), b: z.number().int() }).strict(),
    output: z
      .object({
        problemId: z.number().int(),
        searches: z.tuple([SearchSummary, SearchSummary]),
        costs: z.tuple([SearchCosts, SearchCosts]),
        shared: z.object({ prefixes: z.number().int(), agree: z.number().int(), meanAbsDiff: z.number().nullable() }).strict(),
        /** shared: same seed, policy and sampling, so rollouts from a prefix both estimated are the same (their MC agrees by construction) */
        streams: z.object({ shared: z.boolean(), detail: z.string() }).strict().optional(),
      })
      .strict(),
  },
  'annotations.sets': { input: Empty, output: z.array(AnnotationSet) },
  /**
   * splits an annotation set by problem into `<set>-train` and `<set>-val` (what train-prm's
   * valAnnotations reads): a seeded `val` share of its problems go to -val, the rest to -train, no problem
   * on both sides; the annotations move (with their curation), the set's name is then free
   */
  'annotations.split': {
    input: z.object({ set: Name, val: z.number().gt(0).lt(1), seed: z.number().int().min(0).max(2 ** 31 - 1).default(0) }).strict(),
    output: z
      .object({
        train: z.object({ name: z.string(), problems: z.number().int(), annotations: z.number().int() }).strict(),
        val: z.object({ name: z.string(), problems: z.number().int(), annotations: z.number().int() }).strict(),
      })
      .strict(),
  },
  /** the disagreement queue: tree nodes where a PRM's score and the search's MC differ most */
  'curation.disagreements': {
    input: z
      .object({
        prm: z.string().min(1),
        limit: z.number().int().min(1).max(1000).default(100),
        /** only nodes whose last step is of this kind (reasoning: the answer lines left out) */
        stepKind: z.enum(['answer', 'reasoning']).optional(),
        problemId: z.number().int().optional(),
        /** only gaps at least this large */
        minGap: z.number().min(0).max(1).optional(),
      })
      .strict(),
    /** scoredNodes: every node the PRM scored with an MC; matching: those the filters keep (items: the first `limit`) */
    output: z.object({ prm: z.string(), scoredNodes: z.number().int(), matching: z.number().int().optional(), items: z.array(NodeDisagreement) }),
  },
  /** the annotations a search produced, with curation applied */
  'annotations.forSearch': { input: z.object({ searchId: z.number().int() }).strict(), output: z.array(AnnotationRecord) },
  /** appends a curation edit (the original labels are never changed) and returns the annotation as it now reads */
  'annotations.edit': {
    input: CurationEditInput.extend({ author: z.string().min(1).max(200).optional() }).strict(),
    output: AnnotationRecord,
  },
  /** many curation edits as one batch in one transaction (all or none), undone and redone as one */
  'annotations.editMany': {
    input: z
      .object({
        edits: z.array(CurationEditInput).min(1).max(10_000),
        /** a comment on every edit of the batch that has none of its own */
        comment: z.string().max(10_000).nullable().default(null),
        author: z.string().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({ batch: z.number().int(), annotations: z.array(AnnotationRecord) }),
  },
  /** marks a batch of curation edits undone (records kept); returns the annotations it touches */
  'annotations.undo': {
    input: z.object({ batch: z.number().int() }).strict(),
    output: z.object({ batch: z.number().int(), annotations: z.array(AnnotationRecord) }),
  },
  /** puts an undone batch back in force */
  'annotations.redo': {
    input: z.object({ batch: z.number().int() }).strict(),
    output: z.object({ batch: z.number().int(), annotations: z.array(AnnotationRecord) }),
  },
  /** solutions whose verdict and the PRM's ranking among their problem's candidates conflict (ranks with ties sharing the best, 1-2-2-4), strongest first */
  'curation.solutionConflicts': {
    input: z
      .object({
        prm: z.string().min(1),
        limit: z.number().int().min(1).max(1000).default(100),
        aggregate: z.enum(['min', 'last', 'product', 'mean', 'max']).default('min'),
        /** "scored low": a correct solution in this bottom share of its own problem's candidates, below a wrong one */
        lowShare: z.number().min(0).max(1).default(0.25),
        /** also a conflict: a correct solution scored under this absolute value (off unless given) */
        threshold: z.number().min(0).max(1).optional(),
      })
      .strict(),
    output: z.object({ prm: z.string(), aggregate: z.string(), scoredSolutions: z.number().int(), items: z.array(SolutionConflict) }),
  },
  /** a problem's stored solutions, or only the given ones, with every PRM's step scores */
  'solutions.forProblem': {
    input: z.object({ problemId: z.number().int(), ids: z.array(z.number().int()).max(1000).optional() }).strict(),
    output: z.array(ScoredSolution),
  },
  /** the evaluations, newest first, a page at a time (offset, limit), with how many there are in all */
  'evaluations.list': {
    input: z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(EvaluationSummary) }),
  },
  /** the problems of an evaluation's reported split, with the solution ids of their candidates */
  'evaluations.problems': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z.array(EvaluationProblem.extend({ solutionIds: z.array(z.number().int()), extId: z.string().nullable().optional() })),
  },
  'evaluations.get': { input: z.object({ id: z.number().int() }).strict(), output: EvaluationRecord },
  /** the rows of a bench-prm evaluation, in the benchmark's order: prediction against label, with the steps, their gold labels and scores */
  'evaluations.benchRows': {
    input: z
      .object({
        id: z.number().int(),
        split: z.string().min(1).max(100).optional(),
        /** hit: prediction = label; miss: the others */
        outcome: z.enum(['all', 'hit', 'miss']).default('all'),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(10_000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(BenchRowView) }).strict(),
  },

  /** two Best-of-N evaluations of the same problems (e.g. two PRMs on the same candidates): a minus b at each N up to n, each side's chosen method or `method` for both, with the paired bootstrap interval */
  'evaluations.compare': {
    input: z.object({ a: z.number().int(), b: z.number().int(), n: z.number().int().min(1).max(1024).optional(), method: z.enum(BON_METHODS).optional() }).strict(),
    output: EvaluationComparison,
  },
  /** the accuracy-vs-N chart of a Best-of-N evaluation as SVG (default: the split it reports on) */
  /** every method of the table drawn, line style by kind (PRM solid, baselines dashed, the oracle dotted); theme: the UI's light or dark */
  'evaluations.chart': {
    input: z.object({ id: z.number().int(), split: z.string().min(1).optional(), theme: z.enum(['light', 'dark']).optional() }).strict(),
    output: z.object({ split: z.string(), svg: z.string() }),
  },
  /** MathSE cycle runs, newest first, each with its cycles, stages, metrics and lineage */
  'cycles.list': { input: Empty, output: z.array(CycleRun) },
  'cycles.get': { input: z.object({ id: z.number().int() }).strict(), output: CycleRun },
  /** starts a cycle run: the config is checked against CycleConfig and the workspace (dataset splits, models, trainer) before any work */
  'cycles.start': { input: z.object({ config: z.record(z.string(), z.unknown()) }).strict(), output: Job },
  /** the ORM-judged wrong paths of a run with their diagnoses and regenerations, filterable by cycle and outcome */
  'cycles.reflections': {
    input: z
      .object({
        run: z.number().int(),
        cycle: z.number().int().min(1).optional(),
        outcome: Reflection.shape.outcome.optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(Reflection) }),
  },
  /**
   * what deleting a dataset, annotation set, search, evaluation, cycle run or model would take with it:
   * the rows by kind with their counts, the named objects that go too, what stays, and why it is refused
   * now (a queued, running or interrupted job uses it; another object needs its rows)
   */
  'manage.dependents': { input: ManageTarget, output: ManagePlan },
  /** renames it; refused in one line when the name is in use by another of its kind or a job in progress names it */
  'manage.rename': { input: ManageTarget.extend({ newName: z.string().trim().min(1).max(200) }).strict(), output: ManageRenamed },
  /**
   * deletes it and everything in its plan (manage.dependents) in one transaction, refused with the plan's
   * first blocker; a model's folder under the workspace's models/ is removed after the commit
   */
  'manage.delete': { input: ManageTarget.extend({ confirm: z.literal(true) }).strict(), output: ManagePlan },
  /** a job's metric series (a training loss curve): name -> [step, value][] */
  'jobs.metrics': { input: z.object({ id: z.number().int() }).strict(), output: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))) },
} as const;

export type Contract = typeof contract;

/**
 * Which door serves which method. Every method is served in process (the CLI) and over Electron's IPC.
 * The HTTP/WebSocket host serves every method except these: they read or write arbitrary paths on this
 * machine, or reach out to URLs, and are served over HTTP only once the host confines paths (the
 * reliability issue's rules). `init`, `serve`, `serve-model` and `verify` are CLI commands with no
 * method: they create or serve a workspace rather than act on one.
 *
 * The methods the host still serves that take a path of this machine (checked method by method against
 * the contract): `import.start` (and `jobs.start` / `jobs.startOrResume` of kind `import`) reads the
 * problem file it names, and its images only inside that file's folder and `imageRoot`
 * (src-main/core/data/imagePaths.ts; `allowOutside` is refused over HTTP: httpRefusal below);
 * `export.problems` and `export.annotations` write the file they name (the browser-mode export forms);
 * `workspace.open` opens or creates the workspace folder it names (the workspace picker). `jobs.start`
 * and `jobs.startOrResume` of kind `import-labels` read paths as `import.labels` does and are refused
 * over HTTP with it. No other served method reads a user path: `bench-prm`'s `scores` carries the lines
 * the CLI read (its file name and hash are provenance only). Not a path but refused over HTTP all the same:
 * a `train-prm` job's `trainer` and a cycle's `finetune.trainer` name a command the core would run (over
 * HTTP the reference trainer runs).
 */
export const LOCAL_ONLY: ReadonlySet<string> = new Set([
  'import.trees',
  'import.labels',
  'export.trees',
  'models.register',
  'models.addEndpoint',
  'workspace.merge',
  'workspace.check',
  'workspace.recover',
  'score.rollouts',
  'cycles.exportTrainingSet',
  'benchmarks.import',
  'benchmarks.importPath',
]);

/**
 * Why the HTTP/WebSocket host refuses a call, or null when it serves it: a LOCAL_ONLY method, a job
 * request of kind `import-labels` (the `import.labels` method in another envelope), `allowOutside`
 * (read images anywhere) on an import, and a trainer command of one's own (train-prm's `trainer`, a
 * cycle's `finetune.trainer`). Reads the raw params: it runs before they are parsed.
 */
export function httpRefusal(method: string, params: unknown): string | null {
  const local = `${method} is served to the command line and the desktop app only: it reads or writes files on this machine`;
  if (LOCAL_ONLY.has(method)) return local;
  const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const p = obj(params);
  const request = method === 'jobs.start' || method === 'jobs.check' ? p : method === 'jobs.startOrResume' ? obj(p?.request) : null;
  if (request?.kind === 'import-labels') return `${method} of an import-labels job is served to the command line and the desktop app only: it reads files on this machine`;
  const importConfig = method === 'import.start' ? p : request?.kind === 'import' ? obj(request.config) : null;
  if (importConfig?.allowOutside === true) return `${method}: allowOutside is served to the command line and the desktop app only (over HTTP an import reads its images inside the file's folder and imageRoot)`;
  const trainPrm = request?.kind === 'train-prm' ? obj(request.config) : null;
  const cycle = method === 'cycles.start' ? obj(p?.config) : request?.kind === 'cycle' ? obj(request.config) : null;
  const ownTrainer = (trainPrm?.trainer ?? obj(cycle?.finetune)?.trainer ?? null) !== null;
  if (ownTrainer) return `${method}: a trainer command of one's own is served to the command line and the desktop app only (over HTTP the reference trainer runs); leave "trainer" out`;
  return null;
}

export type Method = keyof Contract;
export type Input<M extends Method> = z.input<Contract[M]['input']>;
export type ParsedInput<M extends Method> = z.output<Contract[M]['input']>;
export type Output<M extends Method> = z.output<Contract[M]['output']>;

/** What the renderer and CLI hold: one async function per operation. */
export type Api = { [M in Method]: (input: Input<M>) => Promise<Output<M>> };
/** What the core implements: receives already-validated input. */
export type ApiHandlers = { [M in Method]: (input: ParsedInput<M>) => Promise<Output<M>> | Output<M> };

export const methods = Object.keys(contract) as Method[];
export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export const ErrorCode = z.enum(['bad_request', 'unauthorized', 'not_found', 'user_error', 'internal']);
export type ErrorCode = z.infer<typeof ErrorCode>;
export const ApiErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  /** for bad_request: the offending path in the request, e.g. "params.limit" */
  path: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** An error that crosses a transport as a typed envelope. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    return this.path === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, path: this.path };
  }
}

/** Turn a zod failure into a one-line message naming the offending path. */
export function describeZodError(err: z.ZodError, root = ''): { path: string; message: string } {
  const issue = err.issues[0];
  return { path: issuePath(issue ?? { path: [] }, { root }), message: formatZodIssue(issue, { root, empty: '(root)' }) };
}

/**
 * The refusal of a job request whose config does not parse, in the words the command line has always used:
 * `n: N must be at least 1` (the path inside the job's config), and for a search's algorithm settings
 * `config: cPuct: must be >= 0`; null for an issue outside a job's config.
 */
function jobConfigMessage(method: Method, raw: unknown, issue: z.core.$ZodIssue | undefined): string | null {
  const at = method === 'jobs.start' || method === 'jobs.check' ? 0 : method === 'jobs.startOrResume' ? 1 : -1;
  if (at < 0 || issue === undefined || issue.path[at] !== 'config' || (at === 1 && issue.path[0] !== 'request')) return null;
  const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined);
  const request = at === 0 ? obj(raw) : obj(obj(raw)?.request);
  if (request?.kind === 'search' && issue.path[at + 1] === 'config') return formatZodIssue(issue, { drop: at + 2, label: 'config', wording: 'plain' });
  return formatZodIssue(issue, { drop: at + 1 });
}

export function parseInput<M extends Method>(method: M, raw: unknown): ParsedInput<M> {
  const r = contract[method].input.safeParse(raw ?? {});
  if (!r.success) {
    const { path, message } = describeZodError(r.error, 'params');
    throw new ApiError('bad_request', jobConfigMessage(method, raw, r.error.issues[0]) ?? `${method}: ${message}`, path);
  }
  return r.data as ParsedInput<M>;
}

// ---- wire messages (WebSocket and IPC share them) ----
export const WireRequest = z.object({ id: z.number().int(), method: z.string(), params: z.unknown().optional() });
export type WireRequest = z.infer<typeof WireRequest>;
export type WireMessage =
  | { id: number; result: unknown }
  | { id: number; error: ApiErrorBody }
  | { event: ApiEvent };

/** A transport moves calls and events; the proxy below turns it into an `Api`. */
export interface Transport {
  call(method: Method, params: unknown): Promise<unknown>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export function createApiProxy(transport: Transport): Api {
  const api = {} as Record<Method, (input: unknown) => Promise<unknown>>;
  for (const m of methods) api[m] = (input) => transport.call(m, input);
  return api as unknown as Api;
}

export { ApiEvent };
