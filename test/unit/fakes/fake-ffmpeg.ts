/**
 * The ffmpeg the relay runs, faked: one fake for the three ffmpeg-fed outputs (the HLS packager, an RTMP pusher, a
 * recorder), spawned through the seam each output already takes (`SpawnPackager`, `SpawnPusher`, `SpawnRecorder`:
 * `(plan, log) => process`). It writes what ffmpeg would when the test says so: fMP4 on stdout (ffmpeg's real
 * boxes, the fixture), `-progress` byte counts, a file that grows; and it exits when told.
 */
import { EventEmitter } from 'node:events';
import { appendFileSync, readFileSync } from 'node:fs';
import { BoxSplitter, parseFragment, parseInit, type Fragment, type InitSegment } from '../../../relay/outputs/hls/fmp4.ts';
import { transcodesVideo, type PackagerEvents, type PackagerPlan } from '../../../relay/outputs/hls/ffmpeg-packager.ts';
import type { PusherEvents, PusherPlan } from '../../../relay/outputs/rtmp/ffmpeg-rtmp.ts';
import type { RecorderEvents, RecorderPlan } from '../../../relay/outputs/record/ffmpeg-recorder.ts';

const boxes = new BoxSplitter().push(readFileSync(new URL('../../fixtures/hls/h264-aac-fragmented.mp4', import.meta.url)));
export const fixtureInit: InitSegment = parseInit(Buffer.concat([boxes[0]!.bytes, boxes[1]!.bytes]));
/** 14 fragments of ~0.2 s, keyframes at 0, 3, 6, 9, 12. */
export const fixtureFragments: Fragment[] = [];
for (let i = 2; i + 1 < boxes.length; i += 2) {
  if (boxes[i]!.type === 'moof') fixtureFragments.push(parseFragment(Buffer.concat([boxes[i]!.bytes, boxes[i + 1]!.bytes]), fixtureInit.tracks));
}

/** The three ffmpeg the relay runs: what each is handed (its plan) and what it says (its events). */
interface Roles {
  packager: { plan: PackagerPlan; events: PackagerEvents };
  pusher: { plan: PusherPlan; events: PusherEvents };
  recorder: { plan: RecorderPlan; events: RecorderEvents };
}
export type FfmpegRole = keyof Roles;
type EventsOf<R extends FfmpegRole> = { [E in keyof Roles[R]['events']]: Roles[R]['events'][E] & unknown[] };

export class FakeFfmpeg<R extends FfmpegRole> extends EventEmitter<EventsOf<R>> {
  readonly transcodes: boolean;
  readonly pid = 4242;
  stopped = false;
  private fileBytes = 0;

  constructor(readonly role: R, readonly plan: Roles[R]['plan']) {
    super();
    this.transcodes = transcodesVideo(plan.codecs);
  }

  /** The packager's stdout: the init segment and fragments `from`..`to` (exclusive) of the fixture. */
  write(this: FakeFfmpeg<'packager'>, from: number, to: number, withInit = from === 0): void {
    if (withInit) this.emit('init', fixtureInit);
    for (const f of fixtureFragments.slice(from, to)) this.emit('fragment', f);
  }

  /** A pusher's `-progress`: `total_size`, the bytes written to the RTMP server so far. */
  sent(this: FakeFfmpeg<'pusher'>, totalBytes: number): void { this.emit('progress', totalBytes); }

  /** A recorder's file grows by `bytes` (appended to `plan.path`), and its size is reported. */
  writeFile(this: FakeFfmpeg<'recorder'>, bytes: number): void {
    appendFileSync(this.plan.path, Buffer.alloc(bytes));
    this.fileBytes += bytes;
    this.emit('progress', this.fileBytes);
  }

  /** ffmpeg ends by itself (not stopped by us), with the reason FfmpegChild would give. */
  exit(reason = 'ffmpeg exited (code 1): boom'): void { (this as EventEmitter<{ exited: [reason: string] }>).emit('exited', reason); }

  async stop(): Promise<void> { this.stopped = true; }
}

/**
 * A spawn function for the output `role` names, and every fake it made, in order. It is the output's own seam
 * (`SpawnPackager`, `SpawnPusher`, `SpawnRecorder`): passing it there checks the fake against that process type.
 */
export function fakeFfmpeg<R extends FfmpegRole>(role: R): { spawn: (plan: Roles[R]['plan']) => FakeFfmpeg<R>; made: FakeFfmpeg<R>[] } {
  const made: FakeFfmpeg<R>[] = [];
  return { made, spawn: (plan) => { const p = new FakeFfmpeg(role, plan); made.push(p); return p; } };
}
