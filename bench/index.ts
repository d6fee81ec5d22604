// `npm run bench`: throughput of Steplab's paths against the alternative a user would write, measured
// in the same run on the same machine; each line prints both and their ratio.
import { benchImport } from './import';
import { benchTrees } from './trees';
import { report } from './util';

const results = [benchTrees(), await benchImport()];
for (const r of results) console.log(report(r));
