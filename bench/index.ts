// `npm run bench`: throughput of Steplab's paths against the alternative a user would write, measured
// in the same run on the same machine; each line prints both and their ratio.
import { benchGc } from './gc';
import { benchHeatmap } from './heatmap';
import { benchImport } from './import';
import { benchInference } from './inference';
import { benchLabels } from './labels';
import { benchRemote } from './remote';
import { benchReward } from './reward';
import { benchScaleUi } from './scaleUi';
import { benchSearch } from './search';
import { benchTrees } from './trees';
import { benchUi } from './ui';
import { report } from './util';

for (const r of benchTrees()) console.log(report(r));
console.log(report(await benchImport()));
for (const line of await benchLabels()) console.log(line);
const inf = await benchInference();
for (const r of inf.results) console.log(report(r));
for (const n of inf.notes) console.log(n);
for (const r of await benchReward()) console.log(report(r));
for (const line of await benchSearch()) console.log(line);
for (const line of await benchGc()) console.log(line);
for (const line of (await benchRemote()).lines) console.log(line);
for (const line of await benchUi()) console.log(line);
for (const line of await benchHeatmap()) console.log(line);
for (const line of await benchScaleUi()) console.log(line);
