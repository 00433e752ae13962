/**
 * `node --import tsx test/harness/hook-backend-main.ts <host> <port> <secret> [behaviour JSON]`: a hook backend as its
 * own process; prints `listening <port>`.
 */
import { HookBackend, type Behaviour } from './hook-backend.ts';

const [host, port, secret, behaviour] = process.argv.slice(2);
const backend = await HookBackend.start({ host, port: Number(port ?? 0), secret });
for (const [method, b] of Object.entries(JSON.parse(behaviour ?? '{}') as Record<string, Behaviour>)) backend.behaviour.set(method, b);
console.log(`listening ${backend.port}`);
process.on('SIGTERM', () => { void backend.close().then(() => process.exit(0)); });
