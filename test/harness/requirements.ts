/** What the tests, `npm start` and the benchmarks run beside the relay's own requirements. */
import { binary, type Requirement } from '../../relay/host/requirement.ts';
import { NGINX_RTMP_MODULE } from './rtmp-server.ts';

export const TEST_REQUIREMENTS: Requirement[] = [
  binary('chromium', 'chromium', 'end-to-end tests: the SDK pages and the viewer (test/harness/browser.ts)'),
  binary('ip', 'iproute2', 'test network namespaces (test/harness/netns.ts)'),
  binary('sysctl', 'procps', 'IPv4-only links between test namespaces (test/harness/netns.ts)'),
  binary('ss', 'iproute2', 'tests and benchmarks list sockets'),
  binary('openssl', 'openssl', 'test and edge certificates (test/harness/certificate.ts, scripts/edge-cert.sh)'),
  binary('curl', 'curl', 'the npm start test runs the printed curl'),
  binary('pgrep', 'procps', 'tests look for leftover processes'),
  binary('ps', 'procps', 'tests report leftover processes'),
  binary('systemd-analyze', 'systemd', 'the relay host\'s systemd unit is checked (test/integration/relay-host.test.ts)'),
  binary('ethtool', 'ethtool', 'impaired links: veth offloads off so forwarded UDP keeps valid checksums (test/harness/impaired-link.ts)'),
  binary('gcc', 'gcc', 'impaired links: the link emulator is built on first use (test/harness/link-emulator/linkem.c)'),
  binary('tc', 'iproute2', 'impaired links: a rate cap on the wire (tc tbf, test/harness/impaired-link.ts)'),
  binary('tcpdump', 'tcpdump', 'bench B3 reads added latency off the wire (bench/rtp-capture.ts)'),
  binary('ffprobe', 'ffmpeg', 'HLS tests read the playlist as an independent client (test/e2e/hls.test.ts)'),
  binary('turnserver', 'coturn', 'firewalled clients: a TURN server in a test namespace (test/harness/turn-server.ts)'),
  binary('nginx', 'nginx', 'RTMP push tests: the RTMP server (test/harness/rtmp-server.ts)'),
  { kind: 'file', name: 'ngx_rtmp_module.so', path: NGINX_RTMP_MODULE, package: 'libnginx-mod-rtmp', usedBy: 'RTMP push tests: nginx\'s RTMP module (test/harness/rtmp-server.ts)' },
];
