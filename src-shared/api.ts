// The one list of operations the UI and CLI can ask of the core, with a zod schema for every
// request and response. Hosts (HTTP/WebSocket, Electron IPC) parse every call against it.
import { z } from 'zod';
import {
  AnnotationRecord,
  AnnotationSet,
  NodeDisagreement,
  EvaluationProblem,
  ScoredSolution,
  CurationActionSchema,
  EvaluationRecord,
  EvaluationSummary,
  NodePrmScores,
  AnswerType,
  AnnotationExportFormat,
  ApiEvent,
  Dataset,
  ImportReport,
  Job,
  ModelRecord,
  Problem,
  ProblemExportFormat,
  ProblemFormat,
  SearchEventRecord,
  SearchSummary,
  TreeNode,
  Verdict,
} from './domain';

const Empty = z.object({}).strict();
/** the job kinds the UI may start through jobs.start */
export const LaunchableKind = z.enum(['search', 'score', 'bon']);
const Name = z.string().min(1).max(200);
const DatasetQuery = z.object({
  dataset: Name,
  split: z.string().min(1).max(100).optional(),
  limit: z.number().int().min(1).max(1_000_000).optional(),
});

export const contract = {
  'workspace.info': {
    input: Empty,
    output: z.object({
      path: z.string(),
      schemaVersion: z.number().int(),
      appVersion: z.string(),
      problems: z.number().int(),
      datasets: z.number().int(),
      images: z.number().int(),
    }),
  },
  'datasets.list': { input: Empty, output: z.array(Dataset) },
  'datasets.get': { input: z.object({ name: Name }).strict(), output: Dataset },
  'problems.list': {
    input: z
      .object({
        dataset: Name,
        split: z.string().min(1).max(100).optional(),
        search: z.string().max(500).optional(),
        hasImage: z.boolean().optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(Problem) }),
  },
  'problems.get': { input: z.object({ id: z.number().int() }).strict(), output: Problem },
  'jobs.list': {
    input: z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.array(Job),
  },
  'jobs.get': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  'jobs.cancel': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  /** starts a search, scoring or Best-of-N job; the config is checked against that job's schema, its first problem named */
  'jobs.start': {
    input: z.object({ kind: LaunchableKind, config: z.record(z.string(), z.unknown()) }).strict(),
    output: Job,
  },
  /** continues an interrupted, failed or cancelled job from its checkpoint (refused, with the reason, where it cannot) */
  'jobs.resume': { input: z.object({ id: z.number().int() }).strict(), output: Job },
  /** the JSON Schema of the config of each kind jobs.start accepts, for config editors */
  'jobs.schemas': { input: Empty, output: z.record(z.string(), z.unknown()) },
  'import.start': {
    input: z
      .object({
        path: z.string().min(1),
        dataset: Name,
        format: ProblemFormat.optional(),
        skipBad: z.boolean().default(false),
      })
      .strict(),
    output: Job,
  },
  'export.problems': {
    input: DatasetQuery.extend({ format: ProblemExportFormat.default('jsonl'), out: z.string().min(1) }).strict(),
    output: z.object({ written: z.number().int(), images: z.number().int(), path: z.string() }),
  },
  'export.annotations': {
    input: DatasetQuery.extend({ format: AnnotationExportFormat, out: z.string().min(1), setName: z.string().min(1).max(200).optional() }).strict(),
    output: z.object({ written: z.number().int(), path: z.string() }),
  },
  'verify.check': {
    input: z
      .object({ answer: z.string(), prediction: z.string(), answerType: AnswerType.optional() })
      .strict(),
    output: z.object({ verdict: Verdict, extracted: z.string().nullable(), answerType: AnswerType }),
  },
  'models.list': { input: Empty, output: z.array(ModelRecord) },
  'searches.list': {
    input: z
      .object({
        problemId: z.number().int().optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(SearchSummary) }),
  },
  'searches.tree': {
    input: z.object({ id: z.number().int() }).strict(),
    /** prm: every PRM's scores of the nodes, beside each node's MC */
    output: z.object({ search: SearchSummary, nodes: z.array(TreeNode), prm: z.array(NodePrmScores) }),
  },
  'searches.events': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z.array(SearchEventRecord),
  },
  'annotations.sets': { input: Empty, output: z.array(AnnotationSet) },
  /** the disagreement queue: tree nodes where a PRM's score and the search's MC differ most */
  'curation.disagreements': {
    input: z.object({ prm: z.string().min(1), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.object({ prm: z.string(), scoredNodes: z.number().int(), items: z.array(NodeDisagreement) }),
  },
  /** the annotations a search produced, with curation applied */
  'annotations.forSearch': { input: z.object({ searchId: z.number().int() }).strict(), output: z.array(AnnotationRecord) },
  /** appends a curation edit (the original labels are never changed) and returns the annotation as it now reads */
  'annotations.edit': {
    input: z
      .object({
        annotationId: z.number().int(),
        stepIdx: z.number().int().min(0).nullable().default(null),
        action: CurationActionSchema,
        value: z.number().min(0).max(1).nullable().default(null),
        comment: z.string().max(10_000).nullable().default(null),
      })
      .strict(),
    output: AnnotationRecord,
  },
  /** a problem's stored solutions, or only the given ones, with every PRM's step scores */
  'solutions.forProblem': {
    input: z.object({ problemId: z.number().int(), ids: z.array(z.number().int()).max(1000).optional() }).strict(),
    output: z.array(ScoredSolution),
  },
  'evaluations.list': { input: Empty, output: z.array(EvaluationSummary) },
  /** the problems of an evaluation's reported split, with the solution ids of their candidates */
  'evaluations.problems': {
    input: z.object({ id: z.number().int() }).strict(),
    output: z.array(EvaluationProblem.extend({ solutionIds: z.array(z.number().int()) })),
  },
  'evaluations.get': { input: z.object({ id: z.number().int() }).strict(), output: EvaluationRecord },
  /** the accuracy-vs-N chart of a Best-of-N evaluation as SVG (default: the split it reports on) */
  'evaluations.chart': { input: z.object({ id: z.number().int(), split: z.string().min(1).optional() }).strict(), output: z.object({ split: z.string(), svg: z.string() }) },
  /** a job's metric series (a training loss curve): name -> [step, value][] */
  'jobs.metrics': { input: z.object({ id: z.number().int() }).strict(), output: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))) },
} as const;

export type Contract = typeof contract;
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
  const path = [root, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  return { path, message: `${path || '(root)'}: ${issue?.message ?? 'invalid'}` };
}

export function parseInput<M extends Method>(method: M, raw: unknown): ParsedInput<M> {
  const r = contract[method].input.safeParse(raw ?? {});
  if (!r.success) {
    const { path, message } = describeZodError(r.error, 'params');
    throw new ApiError('bad_request', `${method}: ${message}`, path);
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
