/**
 * Prints (JSON) the SRTP profiles a Janus negotiated on a sample of its handles, read from its admin API
 * (`handle_info` → `webrtc.dtls["srtp-profile"]`). Run inside the namespace where that API listens.
 * Usage: node --import tsx test/harness/janus-srtp-profiles.ts ws://127.0.0.1:<admin port> <admin secret> [sample]
 */
import WebSocket from 'ws';

const [url, secret, sampleArg] = process.argv.slice(2);
let left = Number(sampleArg ?? 8);
const ws = new WebSocket(url!, 'janus-admin-protocol');
await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
let n = 0;
const ask = (m: Record<string, unknown>) => new Promise<Record<string, any>>((resolve) => {
  const transaction = `t${++n}`;
  const on = (d: WebSocket.RawData) => {
    const reply = JSON.parse(d.toString()) as Record<string, any>;
    if (reply.transaction !== transaction) return;
    ws.off('message', on);
    resolve(reply);
  };
  ws.on('message', on);
  ws.send(JSON.stringify({ ...m, transaction, admin_secret: secret }));
});
const profiles = new Set<string>();
sessions: for (const session_id of ((await ask({ janus: 'list_sessions' })).sessions ?? []) as number[]) {
  for (const handle_id of ((await ask({ janus: 'list_handles', session_id })).handles ?? []) as number[]) {
    const info = (await ask({ janus: 'handle_info', session_id, handle_id })).info as { webrtc?: { dtls?: Record<string, unknown> } } | undefined;
    const profile = info?.webrtc?.dtls?.['srtp-profile'];
    if (typeof profile !== 'string') continue;
    profiles.add(profile);
    if (--left <= 0) break sessions;
  }
}
console.log(JSON.stringify([...profiles]));
ws.close();
