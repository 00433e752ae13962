/**
 * `npm start` as a newcomer runs it (scripts/start.sh, the same entry point), inside a namespace: all
 * three services come up without clashing (the edge on 8787, the relays' WCS REST ports 8081 and 9081), the printed curl returns 200, the pulled stream plays in the printed viewer
 * URL, and Ctrl-C leaves nothing running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openViewerAt, viewerFrames } from '../harness/viewer-page.ts';
import { gstreamerWithout } from '../harness/gstreamer-without.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start', () => {
  let ns: NetNamespace;
  let start: ChildProcess;
  let exited: Promise<unknown[]>;
  let output = '';
  let state: string;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    state = mkdtempSync(join(tmpdir(), 'siphon-start-'));
    start = ns.spawn('bash', ['scripts/start.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIPHON_EDGE_STATE: state } });
    exited = once(start, 'exit');
    start.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    start.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 90_000);
      const check = () => { if (output.includes('Ctrl-C stops everything.')) { clearTimeout(timer); resolve(); } };
      start.stdout!.on('data', check);
      void exited.then(() => { clearTimeout(timer); reject(new Error(`npm start exited:\n${output}`)); });
    });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    if (start && start.exitCode === null) { start.kill('SIGKILL'); await exited; }
    ns?.destroySync();
    rmSync(state, { recursive: true, force: true });
  });

  it('prints a curl that returns 200, and a viewer URL and an HLS URL where the pulled stream plays', async () => {
    const curl = /^\s*(curl .+)$/m.exec(output)?.[1];
    const watch = /^\s*(http:\/\/localhost:9080\/viewer\.html\?stream=demo)$/m.exec(output)?.[1];
    expect(curl).toBeDefined();
    expect(watch).toBeDefined();
    const answer = execFileSync('ip', ['netns', 'exec', ns.name, 'sh', '-c', curl!], { encoding: 'utf8' });
    expect(answer.trim().split('\n').at(-1)).toBe('HTTP 200');
    expect(JSON.parse(answer.trim().split('\n')[0]!)).toMatchObject({ localStreamName: 'demo', relay: 'b' });
    const health = await (await fetch(`http://${ns.address}:8080/health`)).json();
    expect(health).toMatchObject({ node: expect.stringMatching(/^v24\./), testSource: { state: 'running', mountpoint: 'demo' } });

    // Beside the edge (8787), each relay answers WCS's REST port too: A on 8081, B on 9081, where the pull is listed.
    expect(curl).toContain('http://127.0.0.1:8787/rest-api/pull/pull');
    expect((await fetch(`http://${ns.address}:8081/rest-api/stream/find_all`)).headers.get('content-type')).toMatch(/json/);
    expect(await (await fetch(`http://${ns.address}:9081/rest-api/pull/find_all`)).json()).toMatchObject([{ localStreamName: 'demo' }]);

    const viewer = await openViewerAt(browser, watch!);
    const frames = await sampleFrames(viewer, 3, viewerFrames);
    expect(frames[3]!).toBeGreaterThan(frames[1]!);
    expect(frames[1]!).toBeGreaterThan(frames[0]!);
    await viewer.close();

    const m3u8 = /^\s*http:\/\/localhost(:9082\/demo\/demo\.m3u8)$/m.exec(output)?.[1];
    expect(m3u8).toBeDefined();
    const playlist = await (await fetch(`http://${ns.address}${m3u8}`)).text();
    expect(playlist).toMatch(/^#EXTM3U\n/);
    expect(playlist).toMatch(/#EXT-X-PART:DURATION=/);
  });

  it('Ctrl-C stops every service: exit 0, no listening socket left in the namespace', async () => {
    await closeBrowser();
    start.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    const sockets = execFileSync('ip', ['netns', 'exec', ns.name, 'ss', '-Hltun'], { encoding: 'utf8' }).trim();
    expect(sockets).toBe('');
    const pids = execFileSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' }).trim();
    const left = pids && execFileSync('ps', ['-o', 'pid,ppid,stat,args', '-p', pids.split('\n').join(',')], { encoding: 'utf8' });
    expect(left, 'processes left in the namespace').toBe('');
  });
});

describe('npm start with the demo source broken (GStreamer without timeoverlay, as without gstreamer1.0-x)', () => {
  let ns: NetNamespace;
  let gst: ReturnType<typeof gstreamerWithout>;
  let state: string;

  beforeAll(() => {
    ns = NetNamespace.create();
    gst = gstreamerWithout('libgstpango.so');
    state = mkdtempSync(join(tmpdir(), 'siphon-start-'));
  });

  afterAll(() => {
    ns?.destroySync();
    gst?.remove();
    rmSync(state, { recursive: true, force: true });
  });

  it('prints the cause and the fix, never "up", exits non-zero and leaves nothing running', async () => {
    // scripts/start.ts is what `npm start` runs after setup; setup itself would install the missing package.
    const start = ns.spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIPHON_EDGE_STATE: state, ...gst.env },
    });
    let output = '';
    start.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    start.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const [code] = await once(start, 'exit');
    expect(code, output).toBe(1);
    expect(output).not.toContain('Siphon is up');
    expect(output).toMatch(/demo stream "demo" has no media \(GStreamer said: .*no element "timeoverlay"\)/);
    expect(output).toContain('apt-get install gstreamer1.0-x');
    const pids = execFileSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' }).trim();
    expect(pids, 'processes left in the namespace').toBe('');
  });
});
