// The aggregations live in src-shared so that the renderer sorts candidates by the same rules.
export * from '../../../src-shared/aggregate';
