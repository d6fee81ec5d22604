// A fresh install has no built web UI: `steplab serve` builds it once, says so in one line on stderr (so
// `--json` stays one JSON line), and serves the page and its assets (not a 503).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, startCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const tmp = tempDir('steplab-serve-build-');
afterAll(() => tmp.cleanup());

describe('steplab serve on a fresh install', () => {
  it('builds the missing web UI once, saying so, then serves it', async () => {
    const ws = join(tmp.dir, 'ws');
    expect((await cli('init', ws)).code).toBe(0);
    const rendererDir = join(tmp.dir, 'renderer');
    const { child, done } = startCli(['serve', '--workspace', ws, '--json'], { STEPLAB_RENDERER_DIR: rendererDir });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d) => {
        buf += d;
        const line = buf.split('\n')[0];
        if (buf.includes('\n')) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${buf} ${stderr}`)));
    });
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^The web UI is not built yet \(a fresh install\): building it once into .*renderer/)]);
    expect(existsSync(join(rendererDir, 'index.html'))).toBe(true);
    const u = new URL(url);
    // the token URL sets the session cookie (and may redirect to the bare page)
    const first = await fetch(url, { redirect: 'manual' });
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/=/);
    const page = await fetch(`${u.origin}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1];
    expect(readdirSync(join(rendererDir, 'assets')).length).toBeGreaterThan(0);
    const asset = await fetch(`${u.origin}/${script}`, { headers: { cookie } });
    expect(asset.status).toBe(200);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);

    // a second start finds it built and says nothing
    const again = startCli(['serve', '--workspace', ws, '--json'], { STEPLAB_RENDERER_DIR: rendererDir });
    await new Promise<void>((resolve) => again.child.stdout!.on('data', () => resolve()));
    again.child.kill('SIGTERM');
    expect((await again.done).stderr).toBe('');
  }, 300_000);
});
