/** Everything a relay runs on its host, gathered from the modules that run it. */
import { JANUS_REQUIREMENTS } from '../janus/config.ts';
import { TEST_SOURCE_REQUIREMENTS } from '../sources/test-source.ts';
import { binary, type Requirement } from './requirement.ts';

export const RELAY_REQUIREMENTS: Requirement[] = [
  ...JANUS_REQUIREMENTS,
  ...TEST_SOURCE_REQUIREMENTS,
  binary('setpriv', 'util-linux', 'children die with the relay (--pdeathsig): Janus, GStreamer'),
];
