/** The HLS output's settings, read from the relay's config (relay/config.ts documents each). */
import type { Config } from '../../config.ts';
import type { HlsOutputSettings } from './hls-outputs.ts';

export function hlsSettings(config: Config): HlsOutputSettings {
  const segmentSeconds = config.hlsSegmentMs / 1000;
  return {
    segmentSeconds,
    partSeconds: config.hlsPartMs / 1000,
    listSize: Math.max(3, config.hlsListSize),
    autoStart: config.hlsAutoStart,
    idleStopMs: config.hlsIdleStopMs,
    endedLingerMs: Math.max(10_000, 3 * segmentSeconds * 1000),
    firstPartTimeoutMs: 10_000,
    encoder: { x264Preset: config.hlsX264Preset, x264Crf: config.hlsX264Crf, audioKbps: config.hlsAudioKbps },
  };
}
