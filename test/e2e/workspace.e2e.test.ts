// The workspace picker in a real browser: the header's path opens it; a folder that is not a workspace is
// refused inline and the open workspace keeps showing its data; Create makes an empty workspace and the app
// reloads onto it; the recent list brings the first one back, and marks a deleted one missing.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost } from '../../src-main/server';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, rendererDir, screenshots, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let demo: DemoWorkspace;

/** The items' texts with layout whitespace collapsed. */
const texts = async (items: Locator): Promise<string[]> => (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
let host: Host;
let session: BrowserSession;

beforeAll(async () => {
  ensureRendererBuilt();
  demo = await demoWorkspace({ count: 2, score: false });
  // the recent list goes to a temp config folder, never the developer's own
  process.env.STEPLAB_CONFIG_DIR = join(demo.tmp, 'config');
  host = await startHost({ workbench: demo.wb, rendererDir });
  session = await openBrowser();
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(demo);
});

describe('workspace picker', () => {
  it('refuses a folder that is not a workspace, creates a new one, and switches back from the recent list', async () => {
    const { page, errors } = session;
    const first = demo.wb.store.paths.dir;
    const fresh = join(demo.tmp, 'fresh-workspace');
    const notes = join(demo.tmp, 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'todo.txt'), 'read the MM-PRM paper\n');

    const header = page.locator('.app-header .workspace');
    const datasetNames = () => page.getByTestId('datasets-table').locator('tbody tr td:first-child').allInnerTexts();
    const picker = page.getByRole('dialog', { name: 'Workspace' });
    const openPicker = async (current: string): Promise<void> => {
      await page.getByRole('button', { name: current, exact: true }).click();
      await expect.poll(() => picker.isVisible()).toBe(true);
    };

    await page.goto(host.url);
    await expect.poll(datasetNames).toEqual(['demo']);
    await expect.poll(() => header.innerText()).toContain(first);

    // a folder that is not a workspace: the reason inline, nothing changes
    await openPicker(first);
    await picker.getByLabel('Workspace folder').fill(notes);
    await picker.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => picker.getByRole('alert').innerText())
      .toBe(`Cannot open ${notes}: it is not a Steplab workspace (no steplab.db). Create one here with "Create workspace", or pick another folder.`);
    // Create there is refused too: the folder has someone's files in it
    await picker.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => picker.getByRole('alert').innerText()).toMatch(/^Cannot create a workspace at .*notes: the folder is not empty/);
    await picker.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => picker.isVisible()).toBe(false);
    expect(await header.innerText()).toContain(first);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(datasetNames).toEqual(['demo']);

    // create a new workspace: the app reloads onto it, with no datasets
    await openPicker(first);
    await picker.getByLabel('Workspace folder').fill(fresh);
    await picker.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => header.innerText()).toContain(fresh);
    await expect.poll(() => page.locator('p.empty').innerText()).toContain('This workspace has no datasets yet.');
    expect(await page.getByTestId('datasets-table').count()).toBe(0);
    expect(page.url()).toMatch(/#\/datasets$/);

    // back to the first from the recent list
    await openPicker(fresh);
    const recent = picker.getByRole('region', { name: 'Recent workspaces' });
    await expect.poll(() => texts(recent.getByRole('listitem'))).toEqual([`${fresh} open now`, first]);
    await recent.getByRole('button', { name: first, exact: true }).click();
    await expect.poll(() => header.innerText()).toContain(first);
    await expect.poll(datasetNames).toEqual(['demo']);
    expect(errors).toEqual([]);
  });

  it('marks a workspace that was deleted as missing', async () => {
    const { page, errors } = session;
    const first = demo.wb.store.paths.dir;
    const fresh = join(demo.tmp, 'fresh-workspace');
    rmSync(fresh, { recursive: true, force: true });
    const picker = page.getByRole('dialog', { name: 'Workspace' });
    await page.getByRole('button', { name: first, exact: true }).click();
    const items = picker.getByRole('region', { name: 'Recent workspaces' }).getByRole('listitem');
    await expect.poll(() => texts(items)).toEqual([`${first} open now`, `${fresh} missing`]);
    expect(await items.nth(1).getByRole('button').isDisabled()).toBe(true);
    await picker.getByLabel('Workspace folder').fill(join(demo.tmp, 'notes'));
    await picker.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => picker.getByRole('alert').innerText()).toMatch(/it is not a Steplab workspace/);
    await page.screenshot({ path: join(screenshots, 'workspace-picker.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(screenshots, 'workspace-picker-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(errors).toEqual([]);
  });
});
