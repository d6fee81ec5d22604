// The step-level benchmarks Steplab reads (src-main/core/data/benchmarks/) and judges a PRM on
// (`steplab bench-prm`): their names, shared by the contract, the core and the UI.
import { z } from 'zod';

export const BENCH_FORMATS = ['processbench', 'visualprocessbench', 'prmbench'] as const;
export const BenchFormat = z.enum(BENCH_FORMATS);
export type BenchFormat = z.infer<typeof BenchFormat>;

/** Benchmark problems met in a PRM's training annotation set (from its provenance). */
export const ContaminationReport = z
  .object({
    checked: z.boolean(),
    reason: z.string().nullable(),
    annotationSet: z.string().nullable(),
    trainingProblems: z.number().int(),
    problems: z.number().int(),
    rows: z.number().int(),
    byFingerprint: z.number().int(),
    byQuestion: z.number().int(),
    list: z.array(z.object({ id: z.string(), split: z.string(), how: z.enum(['fingerprint', 'question']), trainingProblemId: z.number().int() }).strict()),
  })
  .strict();
export type ContaminationReport = z.infer<typeof ContaminationReport>;

/** One row of a bench-prm evaluation: the first-error prediction against the label, on the steps. */
export const BenchRowView = z
  .object({
    solutionId: z.number().int(),
    problemId: z.number().int(),
    /** the benchmark's row id */
    id: z.string(),
    split: z.string(),
    origin: z.string(),
    question: z.string(),
    /** the first wrong step (0-based), -1 when none */
    label: z.number().int(),
    /** the first step not accepted at the evaluation's threshold, -1 when none */
    prediction: z.number().int(),
    match: z.boolean(),
    /** PRMBench: the row's error class */
    classification: z.string().nullable(),
    steps: z.array(z.object({ text: z.string(), gold: z.number().int().nullable(), score: z.number().nullable() }).strict()),
  })
  .strict();
export type BenchRowView = z.infer<typeof BenchRowView>;
