// The search area: OmegaPRM and Math-Shepherd over a policy port, their config, and label extraction.
export * from './types';
export * from './config';
export { qValue, uValue, wordCount } from './formulas';
export { binarySearchFirstError, type EstimateMc, type FirstErrorSearch, type Probe } from './binarySearch';
export { PrefixTree, streamKeyOf, type NodeInit } from './tree';
export { abortError, type SearchOptions } from './searchRun';
export { runOmega } from './omega';
export { runMathShepherd } from './mathShepherd';
export { DEFAULT_MIN_WORDS, extractAnnotations, fullPrefixes, labelledSteps, type ExtractOptions, type StepAnnotation } from './annotations';
