#!/usr/bin/env node
// The `steplab` command: runs the TypeScript CLI through the tsx loader, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
