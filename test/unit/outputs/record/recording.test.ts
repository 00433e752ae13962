/**
 * Recording behind one faked boundary, the recorder's ffmpeg (FakeFfmpeg, writing the file as ffmpeg would): the state
 * machine, rotation on a source restart, a silent source, the disk guard on a real temp directory, and file names.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import type { Stream } from '../../../../relay/streams/stream.ts';
import { Recordings, type RecordSettings } from '../../../../relay/outputs/record/recordings.ts';
import { recorderArgs, type SpawnRecorder } from '../../../../relay/outputs/record/ffmpeg-recorder.ts';
import { containerFor, recordFileName, templateProblem } from '../../../../relay/outputs/record/record-file.ts';
import { h264Baseline, opus, vp8 } from '../../../../relay/sdp/description.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import type { RecordingState } from '../../../../relay/outputs/record/recording.ts';
import { fakeFfmpeg, type FakeFfmpeg } from '../../fakes/fake-ffmpeg.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

describe('recording', () => {
  let dir: string;
  let spawn: SpawnRecorder;
  let made: FakeFfmpeg<'recorder'>[];
  let ctx: RelayContext;
  let webhooks: ReturnType<typeof recordedWebhooks>;
  let stream: Stream;
  const make = (settings: Partial<RecordSettings> = {}) => new Recordings(ctx, {
    dir, template: '{streamName}-{startTime}', maxDirBytes: 0, minFreeBytes: 0, audioKbps: 96, ...settings,
  }, spawn);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'siphon-rec-unit-'));
    ({ spawn, made } = fakeFfmpeg('recorder'));
    webhooks = recordedWebhooks();
    ctx = { registry: new StreamRegistry(), teePorts: new UdpPortPool({ from: 53000, to: 53999 }, 65536), log: new Logger(), webhooks } as unknown as RelayContext;
    stream = await StreamClaim.take(ctx, 'cam/1')!.open({ mediaSessionId: 'm1', origin: 'pull', kinds: ['audio', 'video'], codecs: { video: vp8(96), audio: opus(111) } });
    stream.setSourceRtcp(59996);
  });

  afterEach(async () => {
    await stream.close({ status: 'STOPPED', info: 'test over' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('starting → recording as the file grows → stopping → stopped; a stream name with a slash makes a safe file name', async () => {
    const recordings = make();
    const rec = await recordings.start(stream);
    const states: RecordingState[] = [];
    rec.on('state', (s) => states.push(s));
    expect(rec.fileName).toMatch(/^cam_1-\d+\.webm$/);
    await expect.poll(() => made.length).toBe(1);
    expect(basename(made[0]!.plan.path)).toBe(rec.fileName);
    expect(rec.recState).toBe('starting');
    made[0]!.writeFile(1000);
    expect([rec.recState, rec.bytes]).toEqual(['recording', 1000]);
    await expect(recordings.start(stream)).rejects.toMatchObject({ status: 409 });
    expect(await recordings.stop(stream, 'Stopped by rest /stopRecording')).toBe(rec);
    expect(states).toEqual(['recording', 'stopping', 'stopped']);
    expect(made[0]!.stopped).toBe(true);
    expect(stream.tee.sinkCount).toBe(0);
    expect(await recordings.stop(stream, 'again')).toBeUndefined();
    expect(recordings.ofFile(rec.fileName!)).toBe(rec);
    expect(webhooks.emitted).toEqual([{ type: 'record.finished', stream: 'cam/1', data: {
      recordingId: rec.id, result: 'stopped', reason: 'Stopped by rest /stopRecording', bytes: 1000, durationMs: expect.any(Number),
      files: [{ name: rec.fileName, url: `/client/records/${rec.fileName}` }] } }]);
  });

  it("the source restarts (a pull's reconnect): the file is finished and the next one starts; the stream's end stops it", async () => {
    const recordings = make();
    const rec = await recordings.start(stream);
    await expect.poll(() => made.length).toBe(1);
    made[0]!.writeFile(10);
    await new Promise((r) => setTimeout(r, 2)); // a new millisecond, a new {startTime}
    rec.sourceStarted();
    await expect.poll(() => made.length).toBe(2);
    expect(made[0]!.stopped).toBe(true);
    expect(rec.files).toHaveLength(2);
    expect(rec.fileName).not.toBe(rec.files[0]);
    made[1]!.writeFile(20);
    expect([rec.recState, rec.bytes]).toEqual(['recording', 30]);
    await stream.close({ status: 'UNPUBLISHED', info: 'Stopped by publisher stop' });
    expect([rec.recState, made[1]!.stopped]).toEqual(['stopped', true]);
  });

  it('ffmpeg ends its input because the source went silent: the file is kept, the next starts when the source is back; a crash fails it', async () => {
    const recordings = make();
    const rec = await recordings.start(stream);
    await expect.poll(() => made.length).toBe(1);
    made[0]!.writeFile(10);
    made[0]!.exit('ffmpeg exited (code 0): data:...: Connection timed out');
    await expect.poll(() => rec.recState).toBe('starting');
    rec.sourceStarted();
    await expect.poll(() => made.length).toBe(2);
    made[1]!.exit('ffmpeg exited (code 1): Invalid data');
    await expect.poll(() => rec.recState).toBe('failed');
    expect(rec.lastError).toBe('ffmpeg exited (code 1): Invalid data');
  });

  it('on fake timers: a new file asks for keyframes at 0, 0.5, 1 and 2 s; the finished file\'s ffmpeg exiting late is ignored', async () => {
    const recordings = make();
    const rec = await recordings.start(stream);
    await expect.poll(() => made.length).toBe(1);
    made[0]!.writeFile(10);
    vi.useFakeTimers();
    try {
      rec.sourceStarted();
      await vi.waitFor(() => expect(made).toHaveLength(2));
      const asked = stream.tee.keyframeRequests;
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(500);
      await vi.advanceTimersByTimeAsync(500);
      await vi.advanceTimersByTimeAsync(1000);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(stream.tee.keyframeRequests - asked).toBe(4);
      made[0]!.exit('ffmpeg exited (code 1): late');
      made[0]!.emit('progress', 999);
      expect([rec.recState, rec.lastError, rec.bytes]).toEqual(['recording', null, 10]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('the disk guard: over the directory cap → failed "disk full", files finished, the next start refused with 507', async () => {
    writeFileSync(join(dir, 'older.mp4'), Buffer.alloc(900));
    const recordings = make({ maxDirBytes: 2000 });
    const rec = await recordings.start(stream);
    await expect.poll(() => made.length).toBe(1);
    made[0]!.writeFile(1500);
    await expect.poll(() => rec.recState, { timeout: 3000 }).toBe('failed');
    expect(rec.lastError).toMatch(/^disk full: .* holds 0\.0 MB, the cap is 0\.0019\d* MB \(SIPHON_RECORD_MAX_DIR_MB\)$/);
    expect(made[0]!.stopped).toBe(true);
    await expect(recordings.start(stream)).rejects.toMatchObject({ status: 507, code: 'insufficient_storage' });
    await recordings.closeAll();
  });

  it('too little free space: nothing starts (507) and nothing is made', async () => {
    const recordings = make({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    await expect(recordings.start(stream)).rejects.toThrow(/^recording refused: disk full: \d+ MB free under .* below SIPHON_RECORD_MIN_FREE_MB/);
    expect([made.length, readdirSync(dir), recordings.all(), stream.tee.sinkCount]).toEqual([0, [], [], 0]);
  });

  it('a stream without media yet → 409; an unknown template element is a startup error', async () => {
    const empty = await StreamClaim.take(ctx, 'empty')!.open({ mediaSessionId: 'm2', origin: 'pull', kinds: ['audio', 'video'] });
    await expect(make().start(empty)).rejects.toMatchObject({ status: 409 });
    await empty.close({ status: 'STOPPED', info: 'test over' });
    expect(() => make({ template: '{streamName}-{endTime}' })).toThrow(/uses \{endTime\}; known: \{streamName\}/);
  });
});

describe('record files', () => {
  const parts = { streamName: 's', startTime: 1700000000000, mediaSessionId: 'abc' };
  it('H.264 goes into MP4 (AAC audio), VP8 into WebM (Opus as it is); an audio-only stream into MP4', () => {
    expect(recordFileName('{streamName}-{startTime}', { ...parts, codecs: { video: h264Baseline(102), audio: opus(111) } })).toBe('s-1700000000000.mp4');
    expect(recordFileName('{streamName}_{videoCodec}_{audioCodec}', { ...parts, codecs: { video: vp8(96), audio: opus(111) } })).toBe('s_vp8_opus.webm');
    expect(containerFor({ audio: opus(111) })).toBe('mp4');
    const mp4 = recorderArgs({ codecs: { video: h264Baseline(102), audio: opus(111) }, ports: { video: 5000, audio: 5002 }, path: '/r/x.mp4', audioKbps: 96 });
    expect(mp4.join(' ')).toMatch(/-c:v copy -c:a aac .* -f mp4 -movflags frag_keyframe\+empty_moov\+default_base_moof/);
    const webm = recorderArgs({ codecs: { video: vp8(96), audio: opus(111) }, ports: { video: 5000, audio: 5002 }, path: '/r/x.webm', audioKbps: 96 });
    expect(webm.join(' ')).toMatch(/-listen_timeout 3 -i data:application\/sdp;base64,\S+ -c:v copy -c:a copy -f webm/);
  });

  it('names are safe on disk and in a URL; templates are checked', () => {
    expect(recordFileName('{streamName}', { ...parts, streamName: '../../etc/passwd', codecs: { video: vp8(96) } })).toBe('__.._etc_passwd.webm');
    expect(templateProblem('{streamName}-{startTimeMillis}-{mediaSessionId}')).toBeUndefined();
    expect(templateProblem('  ')).toBe('the recording template is empty');
  });
});
