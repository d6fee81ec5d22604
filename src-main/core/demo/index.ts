// The demo domain: generated word problems with gold step labels and count pictures.
export * from './check';
export * from './dataset';
export * from './format';
export * from './generate';
export * from './image';
export * from './plan';
export * from '../rng';
export * from './writeDataset';
