/**
 * A wall clock carried in the picture, for glass-to-glass latency: a publisher page draws Date.now()
 * (30 bits, twice, as 20 px black/white blocks) on a canvas and publishes it with the SDK; a player page
 * in the same browser decodes the blocks of every frame it presents and records now − drawn.
 */
import type { Browser, Page } from 'playwright-core';

const BITS = 30;
/** tsx compiles named inner functions with esbuild's `__name` helper, which a page does not have. */
const NAME_HELPER = 'window.__name = window.__name || ((f) => f)';
const WIDTH = 640;
const HEIGHT = 360;

/** Opens the SDK on `baseUrl` and publishes the clock canvas (plus the fake microphone) as `name`. */
export async function publishClock(browser: Browser, baseUrl: string, name: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/`);
  await page.addScriptTag({ url: '/client2/flashphoner.js' });
  await page.evaluate(NAME_HELPER);
  await page.evaluate(async ({ name, ws, bits, width, height }) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    document.body.append(canvas);
    const g = canvas.getContext('2d')!;
    let frame = 0;
    setInterval(() => {
      frame += 1;
      g.fillStyle = '#777';
      g.fillRect(0, 0, width, height);
      g.fillStyle = `hsl(${(frame * 3) % 360} 70% 50%)`; // moving content, so the encoder has work like a camera's
      g.fillRect((frame * 4) % width, 120, 80, 160);
      const t = Date.now() % 2 ** bits;
      for (let i = 0; i < bits; i++) {
        g.fillStyle = (t >>> (bits - 1 - i)) & 1 ? '#fff' : '#000';
        g.fillRect(i * 20 + 10, 0, 20, 40);
        g.fillRect(i * 20 + 10, 40, 20, 40);
      }
    }, 33);
    const stream = canvas.captureStream(30);
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.addTrack(mic.getAudioTracks()[0]!);
    const F = (window as unknown as { Flashphoner: any }).Flashphoner;
    F.init({});
    await new Promise<void>((resolve, reject) => {
      F.createSession({ urlServer: ws }).on(F.constants.SESSION_STATUS.ESTABLISHED, (session: any) => {
        const display = document.createElement('div');
        document.body.append(display);
        session.createStream({ name, display, constraints: { customStream: stream } })
          .on(F.constants.STREAM_STATUS.PUBLISHING, () => resolve())
          .on(F.constants.STREAM_STATUS.FAILED, (s: any) => reject(new Error(`publish failed: ${s.getInfo()}`)))
          .publish();
      }).on(F.constants.SESSION_STATUS.FAILED, () => reject(new Error('session failed')));
    });
  }, { name, ws: baseUrl.replace(/^http/, 'ws'), bits: BITS, width: WIDTH, height: HEIGHT });
  return page;
}

/** On a page with a `<video>` (`selector`): records glass-to-glass ms of every presented frame in window.clockSamples. */
export async function readClockInPage(page: Page, selector = '#video'): Promise<void> {
  await page.evaluate(NAME_HELPER);
  await page.evaluate(({ bits, width, height, selector }) => {
    const w = window as unknown as { clockSamples: number[] };
    w.clockSamples = [];
    const video = document.querySelector(selector) as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    const read = (x: number, y: number) => {
      const [r, gr, b] = g.getImageData(Math.round((x / width) * canvas.width), Math.round((y / height) * canvas.height), 1, 1).data;
      return (r! + gr! + b!) / 3 > 128 ? 1 : 0;
    };
    const onFrame = () => {
      const now = Date.now() % 2 ** bits;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      g.drawImage(video, 0, 0);
      let a = 0;
      let b = 0;
      for (let i = 0; i < bits; i++) {
        a = a * 2 + read(i * 20 + 20, 20);
        b = b * 2 + read(i * 20 + 20, 60);
      }
      const lag = (now - a + 2 ** bits) % 2 ** bits;
      if (a === b && lag < 60_000) w.clockSamples.push(lag); // both rows agree: the frame was read right
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }, { bits: BITS, width: WIDTH, height: HEIGHT, selector });
}

/** The glass-to-glass samples recorded since the last call (and starts a new window). */
export function takeClockSamples(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = window as unknown as { clockSamples: number[] };
    const samples = w.clockSamples ?? [];
    w.clockSamples = [];
    return samples;
  });
}
