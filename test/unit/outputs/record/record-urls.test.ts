/**
 * Recordings' download links on a guarded relay: signed for one file, expiring, byte ranges still served; an open relay
 * keeps WCS's plain `/client/records/<file>`. The route is the relay's own (Hono + serveStatic over a real directory).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { RecordUrls } from '../../../../relay/outputs/record/record-urls.ts';
import { addRecordRoutes } from '../../../../relay/rest/record-routes.ts';
import type { Recordings } from '../../../../relay/outputs/record/recordings.ts';
import { errorRenderer } from '../../../../contract/error-body.ts';

const dir = mkdtempSync(join(tmpdir(), 'siphon-records-'));
writeFileSync(join(dir, 'cam-1.mp4'), Buffer.alloc(1000, 7));
writeFileSync(join(dir, 'cam-2.mp4'), Buffer.alloc(10, 1));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function relay(guarded: boolean, ttlMs = 60_000) {
  const urls = new RecordUrls('record-link-key', ttlMs, () => guarded);
  const app = new Hono();
  app.onError(errorRenderer(() => undefined));
  // The one faked boundary: the recordings a route looks up (none is being finished here).
  addRecordRoutes(app, { settings: { dir }, ofFile: () => undefined } as unknown as Recordings, urls);
  return { urls, get: (path: string, headers: Record<string, string> = {}) => app.request(path, { headers }) };
}

describe('recording links', () => {
  it('open relay: the plain path, as WCS has it', async () => {
    const { urls, get } = relay(false);
    expect(urls.url('cam-1.mp4')).toBe('/client/records/cam-1.mp4');
    expect((await get('/client/records/cam-1.mp4')).status).toBe(200);
  });

  it('guarded relay: only the signed link opens the file, byte ranges included; another file, a changed expiry or none → refused', async () => {
    const { urls, get } = relay(true);
    const link = urls.url('cam-1.mp4');
    expect(link).toMatch(/^\/client\/records\/cam-1\.mp4\?expires=\d+&sig=[\w-]{32}$/);
    const range = await get(link, { range: 'bytes=100-199' });
    expect(range.status).toBe(206);
    expect((await range.arrayBuffer()).byteLength).toBe(100);
    const none = await get('/client/records/cam-1.mp4');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('signed link') });
    expect((await get(link.replace('cam-1', 'cam-2'))).status).toBe(403);
    const later = link.replace(/expires=(\d+)/, (_, s: string) => `expires=${Number(s) + 3600}`);
    expect(await (await get(later)).json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('does not match') });
  });

  it('an expired link says to fetch a fresh one', async () => {
    const { urls, get } = relay(true, -1000);
    expect(await (await get(urls.url('cam-1.mp4'))).json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('expired') });
  });
});
