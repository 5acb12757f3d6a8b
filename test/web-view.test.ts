// The agent's live page (GET /) in headless Chromium: it lists the members (status, payload)
// from the SSE snapshot, and shows a member leaving as it happens.
// Needs the Debian package `chromium` (or $CHROMIUM). Without it the test is skipped
// locally, and fails under CI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Swim } from '../src/index';
import { startAgent, type AgentChild } from './helpers/agent';
import { Browser, findChromium } from './helpers/chromium';
import { waitFor } from './helpers/wait';

const chromium = findChromium();
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (chromium === null && !ci) console.warn('web-view: chromium not found (apt-get install chromium, or set CHROMIUM): skipped');

describe.skipIf(chromium === null && !ci)('agent web view in headless chromium', () => {
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('lists the agent and 2 members, then shows one leaving', async () => {
    if (chromium === null) throw new Error('chromium is missing under CI: apt-get install chromium (.ci/run installs it)');
    const fast = { heartbeatRate: 0.2, ackTimeout: 0.3 };
    const m1 = new Swim({ uri: '127.0.0.1:0', payload: { role: 'db' }, ...fast });
    cleanups.push(() => m1.close());
    const agent: AgentChild = await startAgent(['--uri', '127.0.0.1:0', '--name', 'web-agent', '--seeds', m1.uri, '--heartbeat', '0.2', '--ack-timeout', '0.3', '--payload', '{"role":"agent"}']);
    cleanups.push(() => agent.child.kill());
    const m2 = new Swim({ uri: '127.0.0.1:0', seeds: [agent.uri], payload: { role: 'web' }, ...fast });
    cleanups.push(() => m2.close());

    const browser = Browser.launch(chromium);
    cleanups.push(() => browser.close());
    const page = await browser.open(agent.url);
    const rows = (): Promise<Array<{ uuid: string; uri: string; status: string; text: string }>> =>
      page.evaluate(
        `Array.from(document.querySelectorAll('#members tbody tr')).map((tr) => ({ uuid: tr.dataset.uuid, uri: tr.dataset.uri, status: tr.dataset.status, text: tr.textContent }))`,
      );
    const seen = await waitFor(
      async () => {
        const r = await rows();
        return r.length === 3 && r.every((x) => x.status === 'alive') ? r : null;
      },
      20_000,
      { what: 'the page listing 3 alive members', intervalMs: 100 },
    );
    expect(seen.map((r) => r.uuid).sort()).toEqual([agent.uuid, m1.uuid, m2.uuid].sort());
    const byUuid = new Map(seen.map((r) => [r.uuid, r]));
    expect(byUuid.get(m1.uuid)?.uri).toBe(m1.uri);
    expect(byUuid.get(m1.uuid)?.text).toContain('{"role":"db"}');
    expect(byUuid.get(m2.uuid)?.text).toContain('{"role":"web"}');
    expect(byUuid.get(agent.uuid)?.text).toContain('{"role":"agent"}');
    expect(await page.evaluate('document.getElementById("conn").textContent')).toBe('live');
    // Status in colour: the cell's class maps to a colour.
    const colour = await page.evaluate<string>(`getComputedStyle(document.querySelector('#members tbody tr[data-status="alive"] td.status')).color`);
    expect(colour).toBe('rgb(46, 125, 50)');

    // m2 quits: the page shows it leave (its row says left, the timeline says so).
    await m2.quit();
    await waitFor(
      () =>
        page.evaluate<boolean>(
          `(document.querySelector('#members tbody tr[data-uuid="${m2.uuid}"]')?.dataset.status === 'left' ||
            document.querySelector('#timeline li[data-kind="left"][data-uuid="${m2.uuid}"]') !== null)`,
        ),
      20_000,
      { what: 'the page showing m2 left', intervalMs: 100 },
    );
    const entry = await page.evaluate<string>(`document.querySelector('#timeline li[data-kind="left"][data-uuid="${m2.uuid}"]').textContent`);
    expect(entry).toContain(m2.uri);
    if (process.env.SWIM_SCREENSHOT) fs.writeFileSync(path.join(os.tmpdir(), 'swim-web-view.png'), await page.screenshot());
  });
});
