/** The HLS packager boundary, faked: hands out ffmpeg's real boxes (the fixture) when the test says so. */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { BoxSplitter, parseFragment, parseInit, type Fragment, type InitSegment } from '../../../relay/outputs/hls/fmp4.ts';
import { transcodesVideo, type PackagerEvents, type PackagerPlan, type PackagerProcess, type SpawnPackager } from '../../../relay/outputs/hls/ffmpeg-packager.ts';

const boxes = new BoxSplitter().push(readFileSync(new URL('../../fixtures/hls/h264-aac-fragmented.mp4', import.meta.url)));
export const fixtureInit: InitSegment = parseInit(Buffer.concat([boxes[0]!.bytes, boxes[1]!.bytes]));
/** 14 fragments of ~0.2 s, keyframes at 0, 3, 6, 9, 12. */
export const fixtureFragments: Fragment[] = [];
for (let i = 2; i + 1 < boxes.length; i += 2) {
  if (boxes[i]!.type === 'moof') fixtureFragments.push(parseFragment(Buffer.concat([boxes[i]!.bytes, boxes[i + 1]!.bytes]), fixtureInit.tracks));
}

export class FakePackager extends EventEmitter<PackagerEvents> implements PackagerProcess {
  readonly transcodes: boolean;
  readonly pid = 4242;
  stopped = false;
  constructor(readonly plan: PackagerPlan) {
    super();
    this.transcodes = transcodesVideo(plan.codecs);
  }
  /** Writes the init segment and fragments `from`..`to` (exclusive) of the fixture. */
  write(from: number, to: number, withInit = from === 0): void {
    if (withInit) this.emit('init', fixtureInit);
    for (const f of fixtureFragments.slice(from, to)) this.emit('fragment', f);
  }
  crash(): void { this.emit('exited', 'ffmpeg exited (code 1): boom'); }
  async stop(): Promise<void> { this.stopped = true; }
}

export function fakeSpawner(): { spawn: SpawnPackager; made: FakePackager[] } {
  const made: FakePackager[] = [];
  return { made, spawn: (plan) => { const p = new FakePackager(plan); made.push(p); return p; } };
}
