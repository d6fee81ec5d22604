// Workers start as plain JavaScript; register the TypeScript loader, then run the real worker module.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
