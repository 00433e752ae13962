/**
 * The last step of `npm run install:relay` (scripts/install-relay.sh), as root: the relay's own system user, its
 * settings file (/etc/siphon/relay.env, commented, kept if present) and, where systemd runs, its unit, enabled and
 * started. `--print-unit` prints the unit instead (what the test checks with systemd-analyze).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_FILE, ENV_TEMPLATE, relayUnit, UNIT_NAME } from '../relay/host/systemd-unit.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const USER = 'siphon';
const unit = relayUnit({ root: root.replace(/\/+$/, ''), node: join(root, 'node_modules/.bin/node'), user: USER });

if (process.argv.includes('--print-unit')) {
  process.stdout.write(unit);
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.error('install-relay: run as root (it adds the siphon user, /etc/siphon and the systemd unit)');
  process.exit(1);
}
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'inherit' });

if (!existsSync(ENV_FILE)) {
  mkdirSync(dirname(ENV_FILE), { recursive: true, mode: 0o750 });
  writeFileSync(ENV_FILE, ENV_TEMPLATE, { mode: 0o600 }); // it will hold the join token
  console.log(`install-relay: wrote ${ENV_FILE}: set SIPHON_EDGE_URL and SIPHON_EDGE_JOIN_TOKEN there to join an edge`);
}
if (!existsSync('/run/systemd/system')) {
  console.log(`install-relay: systemd is not running here, so no unit was installed. Run the relay with:\n  set -a; . ${ENV_FILE}; set +a; npm run relay`);
  process.exit(0);
}
try {
  execFileSync('id', ['-u', USER], { stdio: 'ignore' });
} catch {
  run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
}
// The relay reads what an operator keeps beside relay.env (a SIPHON_CONFIG properties file, certificates): its group may.
run('chown', [`root:${USER}`, dirname(ENV_FILE)]);
writeFileSync(`/etc/systemd/system/${UNIT_NAME}`, unit);
run('systemctl', ['daemon-reload']);
run('systemctl', ['enable', '--now', UNIT_NAME]);
console.log(`install-relay: ${UNIT_NAME} enabled and started; logs: journalctl -u ${UNIT_NAME} -f; verify: npm run doctor -- --role relay`);
