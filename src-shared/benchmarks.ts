// The step-level benchmarks Steplab reads (src-main/core/data/benchmarks/) and judges a PRM on
// (`steplab bench-prm`): their names, shared by the contract, the core and the UI.
import { z } from 'zod';

export const BENCH_FORMATS = ['processbench', 'visualprocessbench', 'prmbench'] as const;
export const BenchFormat = z.enum(BENCH_FORMATS);
export type BenchFormat = z.infer<typeof BenchFormat>;
