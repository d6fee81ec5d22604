// CLI for models on servers: `steplab serve-model` (a registered ONNX model over the OpenAI-compatible
// API) and `steplab models add-endpoint` (register a model that a server serves).
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../core/errors';
import { EmbeddedBackend } from '../core/inference/backend';
import { loadModel } from '../core/inference/model';
import { startModelServer } from '../server/modelServer';
import { port, positiveInt, untilStopped, withApi, type CliIO } from './common';
import { modelLabel } from '../../src-shared/modelLabel';

const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 3600)) throw new InvalidArgumentError('must be seconds in (0, 3600]');
  return n;
}

function nonNegInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new InvalidArgumentError('must be an integer 0-20');
  return n;
}

export function addEndpointCommands(program: Command, models: Command, io: CliIO): void {
  models
    .command('add-endpoint')
    .description('register a model served over an OpenAI-compatible API (vLLM, SGLang, llama.cpp server, steplab serve-model)')
    .argument('<name>', 'name to register it under')
    .requiredOption('--url <base...>', 'base URL ending in /v1 (repeat or comma-separate for several servers)', collect)
    .requiredOption('--served-model <id>', "the server's model id (see its /v1/models)")
    .addOption(new Option('--role <role>', 'model role').choices(['policy', 'prm', 'orm', 'judge']).makeOptionMandatory())
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--manifest <file>', 'Steplab manifest.json (prompt template, step delimiter, special tokens, context); steplab serve-model offers its own')
    .option('--api-key-env <VAR>', 'environment variable holding the API key (the key is never stored)')
    .option('--concurrency <c>', 'requests in flight per URL', positiveInt, 4)
    .option('--timeout <s>', 'seconds before a request is given up', seconds, 120)
    .option('--retries <n>', 'further attempts after a failed request', nonNegInt, 3)
    .addOption(new Option('--api <api>', 'which API: auto = completions for text, chat with pictures; completions sends a picture in serve-model\'s `images` extension').choices(['auto', 'completions', 'chat']).default('auto'))
    .option('--vision', 'the served model reads pictures (default: when the manifest has an image token)')
    .option('--no-vision', 'send no pictures')
    .addOption(new Option('--prm-api <api>', "a PRM's scores: logprobs of Yes/No after each tag, or vLLM's /pooling (a STEP-pooler reward model)").choices(['logprobs', 'pooling']).default('logprobs'))
    .option('--pooling-good-index <i>', 'with --prm-api pooling: the column of P(good) in each row', nonNegInt, 1)
    .option('--json', 'print the registered model as JSON')
    .action(
      async (
        name: string,
        o: { url: string[]; servedModel: string; role: 'policy' | 'prm' | 'orm' | 'judge'; workspace: string; manifest?: string; apiKeyEnv?: string; concurrency: number; timeout: number; retries: number; api: 'auto' | 'completions' | 'chat'; vision?: boolean; prmApi: 'logprobs' | 'pooling'; poolingGoodIndex: number; json?: boolean },
      ) => {
        await withApi(o.workspace, async (api) => {
          const rec = await api['models.addEndpoint']({
            name,
            urls: o.url,
            servedModel: o.servedModel,
            role: o.role,
            manifestFile: o.manifest,
            apiKeyEnv: o.apiKeyEnv ?? null,
            concurrency: o.concurrency,
            timeoutMs: Math.round(o.timeout * 1000),
            retries: o.retries,
            api: o.api,
            vision: o.vision,
            ...(o.role === 'prm' ? { prmApi: o.prmApi, poolingGoodIndex: o.poolingGoodIndex } : {}),
          });
          if (o.json) io.out(JSON.stringify(rec));
          else {
            io.out(`registered ${modelLabel(rec)} (${rec.role}) served as "${rec.endpoint!.servedModel}" at ${rec.endpoint!.urls.join(', ')}`);
            const check = (rec.provenance as { tokenizerCheck?: string }).tokenizerCheck;
            if (check?.startsWith('not checked')) io.out(`special tokens ${check}`);
          }
        });
      },
    );

  program
    .command('serve-model')
    .description('serve a registered model over the OpenAI-compatible API (completions, chat, logprobs, seed, stop)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--model <name>', 'registered model (name or name@version)')
    .option('--host <h>', 'address to bind (another than 127.0.0.1 lets other machines in; they still need the token)', '127.0.0.1')
    .option('--port <p>', 'port (default: a free one)', port, 0)
    .option('--token-env <VAR>', 'take the token clients must send from this environment variable (default: a new random one, printed)')
    .option('--served-name <id>', "the id clients name (default: the model's name)")
    .option('--json', 'print {"url","port","token","model"} as one JSON line')
    .action(async (o: { workspace: string; model: string; host: string; port: number; tokenEnv?: string; servedName?: string; json?: boolean }) => {
      let token: string | undefined;
      if (o.tokenEnv) {
        token = process.env[o.tokenEnv];
        if (!token) throw new UserError(`--token-env ${o.tokenEnv}: the environment variable is not set`);
        if (token.length < 16) throw new UserError(`--token-env ${o.tokenEnv}: the token must be at least 16 characters`);
      }
      const rec = await withApi(o.workspace, async (api) => api['models.get']({ name: o.model }));
      if (rec.endpoint) throw new UserError(`model "${o.model}" is itself an endpoint (${rec.endpoint.urls[0]}); serve-model serves ONNX models registered in the workspace`);
      const backend = new EmbeddedBackend(await loadModel(rec.path));
      const served = o.servedName ?? rec.name;
      const server = await startModelServer({ backend, servedName: served, host: o.host, port: o.port, token, onInternalError: (e) => io.err(`internal error: ${(e as Error).stack ?? String(e)}`) });
      if (o.json) io.out(JSON.stringify({ url: server.url, port: server.port, token: server.token, model: served }));
      else {
        io.out(`serving ${modelLabel(rec)} (${rec.role}, ${backend.provider}) as "${served}" at ${server.url}`);
        io.out(o.tokenEnv ? `token: from $${o.tokenEnv}` : `token: ${server.token}`);
        io.out('press Ctrl-C to stop');
      }
      await untilStopped();
      await server.close();
      await backend.release();
    });
}
