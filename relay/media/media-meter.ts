/**
 * What a stream's RTP says about it, for WCS's `/stream/find` metrics: bitrates, frame rate, keyframes and, for VP8,
 * the picture size (a VP8 keyframe carries it in its first bytes; an H.264 size would need its SPS decoded, so it
 * stays 0). Keyframes: VP8 key frames, H.264 IDR pictures. Counted on the tee's ingress, once per packet, with no timer: rates are taken over the last full second.
 */
import type { MediaKind } from '../sdp/description.ts';
import { spsPictureSize } from './h264-sps.ts';

const RATE_WINDOW_MS = 1000;

interface Counters { bytes: number; frames: number }

export class MediaMeter {
  private readonly total: Record<MediaKind, Counters> = { audio: { bytes: 0, frames: 0 }, video: { bytes: 0, frames: 0 } };
  private windowStart = { at: -1, audio: { bytes: 0, frames: 0 }, video: { bytes: 0, frames: 0 } };
  private lastWindow = { ms: 0, audio: { bytes: 0, frames: 0 }, video: { bytes: 0, frames: 0 } };
  /**
   * The stream's video codec, set by its stream (a packet does not say which it is): only that codec's parser reads
   * the packets. Another codec, or none yet: bytes and frames are counted, nothing is parsed.
   */
  videoCodec: string | undefined;
  keyframes = 0;
  private lastKey = -1;
  /** The size the last VP8 keyframe or H.264 SPS declared. */
  size = { width: 0, height: 0 };

  add(kind: MediaKind, packet: Buffer, now: number): void {
    const t = this.total[kind];
    t.bytes += packet.length;
    if (kind === 'video') {
      if (packet[1]! & 0x80) t.frames += 1; // the marker bit ends a frame
      if (this.videoCodec === 'VP8' || this.videoCodec === 'H264') this.inspectVideo(packet, this.videoCodec);
    }
    if (this.windowStart.at < 0) this.windowStart.at = now;
    else if (now - this.windowStart.at >= RATE_WINDOW_MS) this.roll(now);
  }

  /** Bits per second and frames per second over the last full window (0 when the stream went quiet since). */
  rates(now = Date.now()): { audioBps: number; videoBps: number; fps: number } {
    const { ms, audio, video } = this.lastWindow;
    if (ms === 0 || now - this.windowStart.at >= 2 * RATE_WINDOW_MS) return { audioBps: 0, videoBps: 0, fps: 0 };
    return { audioBps: Math.round(audio.bytes * 8000 / ms), videoBps: Math.round(video.bytes * 8000 / ms), fps: Math.round(video.frames * 1000 / ms) };
  }

  private roll(now: number): void {
    const diff = (k: MediaKind) => ({ bytes: this.total[k].bytes - this.windowStart[k].bytes, frames: this.total[k].frames - this.windowStart[k].frames });
    this.lastWindow = { ms: now - this.windowStart.at, audio: diff('audio'), video: diff('video') };
    this.windowStart = { at: now, audio: { ...this.total.audio }, video: { ...this.total.video } };
  }

  /** A keyframe counts once per frame (RTP timestamp), however many slices or packets start it. */
  private inspectVideo(packet: Buffer, codec: 'VP8' | 'H264'): void {
    const start = payloadStart(packet);
    if (start === undefined) return;
    const size = codec === 'VP8' ? vp8KeyframeSize(packet, start) : h264SpsSize(packet, start);
    if (size) this.size = size;
    const keyframe = codec === 'VP8' ? size !== undefined : isH264KeyframeStart(packet, start);
    const timestamp = packet.readUInt32BE(4);
    if (keyframe && timestamp !== this.lastKey) {
      this.keyframes += 1;
      this.lastKey = timestamp;
    }
  }
}

/** Offset of the RTP payload (after CSRCs and a header extension), or undefined for a short packet. */
export function payloadStart(packet: Buffer): number | undefined {
  if (packet.length < 12) return undefined;
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  return offset < packet.length ? offset : undefined;
}

/** A VP8 keyframe's size, from the packet that starts it (RFC 7741 payload descriptor, then the frame header). */
export function vp8KeyframeSize(packet: Buffer, start: number): { width: number; height: number } | undefined {
  let i = start;
  const d = packet[i]!;
  if (!(d & 0x10) || (d & 0x07) !== 0) return undefined; // not the start of partition 0
  i += 1;
  if (d & 0x80) {
    const x = packet[i++]!;
    if (x & 0x80) i += (packet[i]! & 0x80) ? 2 : 1; // picture id, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID/KEYIDX
  }
  if (packet.length < i + 10 || (packet[i]! & 0x01) !== 0) return undefined; // P bit set: an interframe
  if (packet[i + 3] !== 0x9d || packet[i + 4] !== 0x01 || packet[i + 5] !== 0x2a) return undefined;
  return { width: packet.readUInt16LE(i + 6) & 0x3fff, height: packet.readUInt16LE(i + 8) & 0x3fff };
}

/** The size an SPS in this packet declares (a single NAL or one inside a STAP-A, as browsers send it). */
export function h264SpsSize(packet: Buffer, start: number): { width: number; height: number } | undefined {
  const nal = packet[start]! & 0x1f;
  if (nal === 7) return spsPictureSize(packet.subarray(start));
  if (nal !== 24) return undefined;
  for (let i = start + 1; i + 2 < packet.length; i += 2 + packet.readUInt16BE(i)) {
    if ((packet[i + 2]! & 0x1f) === 7) return spsPictureSize(packet.subarray(i + 2, i + 2 + packet.readUInt16BE(i)));
  }
  return undefined;
}

/** Whether a packet starts an H.264 IDR picture: a single NAL, one inside a STAP-A, or the first FU-A of one. */
export function isH264KeyframeStart(packet: Buffer, start: number): boolean {
  const nal = packet[start]! & 0x1f;
  if (nal === 5) return true;
  if (nal === 28) return start + 1 < packet.length && (packet[start + 1]! & 0x80) !== 0 && (packet[start + 1]! & 0x1f) === 5;
  if (nal !== 24) return false;
  for (let i = start + 1; i + 2 < packet.length; i += 2 + packet.readUInt16BE(i)) {
    if ((packet[i + 2]! & 0x1f) === 5) return true;
  }
  return false;
}
