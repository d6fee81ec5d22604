// Electron entry: register the TypeScript loader, then load the ESM main process module.
const { register } = require('tsx/esm/api');

register();
import('./main.ts').catch((err) => {
  console.error(err);
  process.exit(1);
});
