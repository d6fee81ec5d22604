// A workspace's store: one SQLite connection and a repository per entity.
import { AnnotationsRepo } from './annotations';
import { CyclesRepo } from './cycles';
import { DatasetsRepo } from './datasets';
import type { DB, WorkspacePaths } from './db';
import { openWorkspaceDb } from './db';
import { EvaluationsRepo } from './evaluations';
import { ImagesRepo } from './images';
import { WorkspaceIntegrity } from './integrity';
import { JobsRepo } from './jobs';
import { JudgeVerdictsRepo } from './judgeVerdicts';
import { LabelImportsRepo } from './labelImports';
import { ManageRepo } from './manage';
import { ModelsRepo } from './models';
import { ProblemsRepo } from './problems';
import { ScoresRepo } from './scores';
import { SolutionsRepo } from './solutions';
import { StagingRepo } from './staging';
import { TreesRepo } from './trees';

export class Store {
  readonly images: ImagesRepo;
  readonly problems: ProblemsRepo;
  readonly datasets: DatasetsRepo;
  readonly jobs: JobsRepo;
  readonly models: ModelsRepo;
  readonly solutions: SolutionsRepo;
  readonly trees: TreesRepo;
  readonly annotations: AnnotationsRepo;
  readonly evaluations: EvaluationsRepo;
  readonly cycles: CyclesRepo;
  readonly scores: ScoresRepo;
  readonly labels: LabelImportsRepo;
  readonly staging: StagingRepo;
  readonly judgeVerdicts: JudgeVerdictsRepo;
  readonly manage: ManageRepo;

  constructor(
    readonly db: DB,
    readonly paths: WorkspacePaths,
    readonly schemaVersion: number,
    /** damage checks of this workspace (see integrity.ts); unchecked for a store made around a bare connection */
    readonly integrity: WorkspaceIntegrity = new WorkspaceIntegrity(db, paths.dir, paths.dbFile),
  ) {
    this.images = new ImagesRepo(db);
    this.problems = new ProblemsRepo(db);
    this.datasets = new DatasetsRepo(db);
    this.jobs = new JobsRepo(db);
    this.models = new ModelsRepo(db);
    this.solutions = new SolutionsRepo(db);
    this.trees = new TreesRepo(db);
    this.annotations = new AnnotationsRepo(db);
    this.evaluations = new EvaluationsRepo(db);
    this.cycles = new CyclesRepo(db);
    this.scores = new ScoresRepo(db);
    this.labels = new LabelImportsRepo(db);
    this.staging = new StagingRepo(db);
    this.judgeVerdicts = new JudgeVerdictsRepo(db);
    this.manage = new ManageRepo(db);
  }

  /** Opens a workspace, checked for damage unless `check: false` (a job worker's second connection). */
  static open(dir: string, opts: { create?: boolean; busyTimeoutMs?: number; check?: boolean } = {}): Store {
    const { db, paths, schemaVersion, integrity } = openWorkspaceDb(dir, opts);
    return new Store(db, paths, schemaVersion, integrity);
  }

  /**
   * A write transaction, begun IMMEDIATE: it waits (busy_timeout) for the write lock at BEGIN. A deferred
   * one that reads first and writes later fails at once with SQLITE_BUSY when another process commits in
   * between (WAL gives it no way to wait), which two imports publishing side by side did now and then.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    this.integrity.close();
    if (this.db.open) this.db.close();
  }
}

export type { DB, WorkspacePaths } from './db';
