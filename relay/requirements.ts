/** Everything a relay runs on its host, gathered from the modules that run it. */
import { JANUS_REQUIREMENTS } from './janus/config.ts';
import { TEST_SOURCE_REQUIREMENTS } from './sources/test-source.ts';
import { HLS_REQUIREMENTS } from './outputs/hls/ffmpeg-packager.ts';
import { binary, type Requirement } from './host/requirement.ts';

export const RELAY_REQUIREMENTS: Requirement[] = [
  ...JANUS_REQUIREMENTS,
  ...TEST_SOURCE_REQUIREMENTS,
  ...HLS_REQUIREMENTS,
  binary('setpriv', 'util-linux', 'children die with the relay (--pdeathsig): Janus, GStreamer, ffmpeg'),
  // npm ci builds janode's unix-dgram addon with node-gyp (scripts/setup.sh checks these before npm ci).
  binary('make', 'make', 'npm ci: native addons (node-gyp)'),
  binary('g++', 'g++', 'npm ci: native addons (node-gyp)'),
  binary('python3', 'python3', 'npm ci: native addons (node-gyp)'),
];
