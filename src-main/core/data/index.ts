// Import and export of problems and annotations, and the image store they share.
// (Answer verification lives in ./verify and is imported from there.)
export { readLines, JsonlWriter } from './jsonl';
export type { Line, ReadLinesOptions } from './jsonl';
export {
  storeImage,
  prepareImage,
  writeImageFile,
  readImageRef,
  imagePath,
  imageLabel,
  exportImage,
  extForMime,
  SUPPORTED_IMAGE_TYPES,
} from './images';
export type { PreparedImage } from './images';
export { FIELD_ALIASES, parseProblemRow, inferAnswerType, derivedExtId, jsonSafe } from './problemRow';
export type { FieldSpec, ImageSource, ParsedRow, ProblemField } from './problemRow';
export { importJob, ImportConfigSchema, CHUNK_ROWS } from './importProblems';
export { detectFormat } from './readers';
export { reportPaths } from './importState';
export type { ImportConfig } from './importProblems';
export { exportProblems, problemToRow } from './exportProblems';
export type { ExportProblemsOptions, ExportProblemsResult } from './exportProblems';
export {
  exportAnnotations,
  readAnnotations,
  parseTrlRow,
  parseMathShepherdRow,
  SHEPHERD_TAG,
  MMPRM_TAG,
} from './exportAnnotations';
export type { ExportAnnotationsOptions, ExportAnnotationsResult, ReadAnnotation } from './exportAnnotations';
