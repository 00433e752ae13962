// Watches a Janus Streaming mountpoint through the relay's /janus proxy. Reconnects by itself when
// the stream or Janus comes back, shows live stats, and reports watch → first frame to the relay.
import Janus from '/vendor/janus.es.js';

const $ = (id) => document.getElementById(id);
const video = $('video');
const state = { status: 'idle', framesDecoded: 0, firstFrameMs: null, firstFrameAt: null, width: 0, height: 0, fps: 0, kbps: 0, reconnects: 0 };
window.siphonViewer = state;

// A guarded relay's credential: given to the /janus proxy only, and taken out of the address bar at once so it is
// not bookmarked, shared or sent on as a Referer.
let token = new URLSearchParams(location.search).get('token');
if (token) {
  const params = new URLSearchParams(location.search);
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

// janus.js keeps its WebSocket to itself; the page needs it to hand the relay a fresh token without reconnecting
// (a reconnect would freeze the picture), so it keeps the socket janus.js opens to /janus.
let janusSocket = null;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    if (new URL(url, location.href).pathname === '/janus') janusSocket = this;
  }
};
let refreshes = 0;

/**
 * A fresh token for a guarded relay before the current one expires: the watch goes on without a gap, and later
 * reconnects use it. Resolves true when the relay took it. For the page that embeds this one, and for tests.
 */
state.refresh = (fresh) => new Promise((resolve) => {
  token = fresh;
  const socket = janusSocket;
  if (!socket || socket.readyState !== NativeWebSocket.OPEN) return resolve(false);
  const transaction = `siphon-refresh-${++refreshes}`;
  // No answer (the socket went): not taken, and the listener goes.
  const timer = setTimeout(() => { socket.removeEventListener('message', answered); resolve(false); }, 5000);
  const answered = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.transaction !== transaction) return;
    clearTimeout(timer);
    socket.removeEventListener('message', answered);
    resolve(msg.janus === 'ack');
  };
  socket.addEventListener('message', answered);
  socket.send(JSON.stringify({ janus: 'siphon_refresh', token: fresh, transaction }));
});

let janus = null;
let handle = null;
let stream = null;
let retryTimer = null;
let retriesInARow = 0;
let watchStartedAt = 0;
let lastBytes = 0;
let lastStatsAt = 0;

function setStatus(status, detail = '') {
  state.status = status;
  $('status').textContent = status;
  $('detail').textContent = detail;
}

function report(event, extra = {}) {
  fetch('/api/viewer-events', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stream, event, ...extra }),
  }).catch(() => undefined);
}

// Quick first retries (a Janus restart takes ~0.5 s), then backing off to `capMs` while the trouble lasts.
function retry(why, capMs = 1500) {
  clearTimeout(retryTimer);
  setStatus('reconnecting', why);
  state.reconnects += 1;
  retriesInARow += 1;
  const ms = Math.min(capMs, 250 * 2 ** (retriesInARow - 1));
  retryTimer = setTimeout(() => (janus?.isConnected() && !edge ? watch() : connect()), ms);
}

function watch() {
  if (!handle || !stream) return;
  watchStartedAt = performance.now();
  state.firstFrameMs = null;
  state.firstFrameAt = null;
  state.framesDecoded = 0;
  lastBytes = 0;
  lastStatsAt = 0;
  $('first-frame').textContent = '';
  setStatus('requesting', stream);
  handle.send({
    message: { request: 'watch', id: stream },
    // The relay refuses a watch the viewer's access does not cover: say why, and do not ask again by itself.
    error: (err) => (String(err).includes('Forbidden') ? setStatus('refused', String(err)) : retry(`watch failed: ${err}`)),
  });
}

function onFirstFrame() {
  const ms = Math.round(performance.now() - watchStartedAt);
  state.firstFrameMs = ms;
  state.firstFrameAt = Date.now();
  $('first-frame').textContent = `first frame ${ms} ms after watch`;
  console.log(`siphon-viewer: first frame ${ms} ms after watch of ${stream}`);
  report('first_frame', { ms });
}

function waitForFirstFrame() {
  const started = watchStartedAt;
  video.requestVideoFrameCallback(() => { if (started === watchStartedAt) onFirstFrame(); });
}

function attach() {
  clearTimeout(retryTimer);
  janus.attach({
    plugin: 'janus.plugin.streaming',
    success: (h) => { handle = h; watch(); },
    error: (err) => retry(`attach failed: ${err}`),
    onmessage: (msg, jsep) => {
      if (msg.error) {
        const missing = msg.error_code === 455;
        retry(missing ? 'waiting for the stream to start' : msg.error, missing ? 2000 : 1500);
        if (missing) setStatus('waiting', stream);
        return;
      }
      const status = msg.result?.status;
      if (status === 'stopped') retry('stream stopped');
      if (jsep) {
        handle.createAnswer({
          jsep, tracks: [{ type: 'data' }],
          success: (answer) => handle.send({ message: { request: 'start' }, jsep: answer }),
          error: (err) => retry(`answer failed: ${err}`),
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      if (!on) return;
      const media = video.srcObject instanceof MediaStream ? video.srcObject : new MediaStream();
      media.getTracks().filter((t) => t.kind === track.kind).forEach((t) => media.removeTrack(t));
      media.addTrack(track);
      if (video.srcObject !== media) video.srcObject = media;
      if (track.kind === 'video') waitForFirstFrame();
    },
    webrtcState: (up) => { if (up) { retriesInARow = 0; setStatus('playing', stream); } else retry('connection closed'); },
    oncleanup: () => { if (state.status === 'playing') retry('stream ended'); },
  });
}

/**
 * With `?edge=<the edge's URL>` (what the edge's /rest-api/play puts in the page it sends a viewer to), the page asks
 * the edge which relay to watch on at every (re)connect, so a relay that dies or drains is left for another; without
 * it, the relay that served the page.
 */
const edge = new URLSearchParams(location.search).get('edge');
const region = new URLSearchParams(location.search).get('region') ?? '';
let relayHost = location.host;
/** The edge chose the relay that served this page: the first connect goes there without asking again. */
let chosen = true;

async function chooseRelay() {
  if (!edge) return;
  if (chosen) { chosen = false; return; }
  const where = region ? `&region=${encodeURIComponent(region)}` : '';
  const res = await fetch(`${edge}/rest-api/play/${encodeURIComponent(stream)}?proto=webrtc&json=1${where}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`the edge answered ${res.status}`);
  relayHost = new URL((await res.json()).location).host;
}

async function connect() {
  clearTimeout(retryTimer);
  // janus.js says nothing when its socket closes before the session exists: do not wait on it forever.
  retryTimer = setTimeout(() => retry('media server did not answer'), 5000);
  if (janus) { try { janus.destroy({ cleanupHandles: true, notifyDestroyed: false }); } catch { /* already gone */ } }
  handle = null;
  setStatus('connecting', stream);
  try {
    await chooseRelay();
  } catch (err) {
    retry(`edge: ${err.message}`, 2000);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  janus = new Janus({
    server: `${proto}://${relayHost}/janus${token ? `?token=${encodeURIComponent(token)}` : ''}`,
    success: attach,
    error: (err) => { report('reconnect', { detail: String(err).slice(0, 200) }); retry(`media server: ${err}`, 2000); },
  });
}

async function stats() {
  const pc = handle?.webrtcStuff?.pc;
  if (!pc) return;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    const now = performance.now();
    if (lastStatsAt && s.bytesReceived >= lastBytes) state.kbps = Math.round(((s.bytesReceived - lastBytes) * 8) / (now - lastStatsAt));
    lastBytes = s.bytesReceived;
    lastStatsAt = now;
    state.framesDecoded = s.framesDecoded ?? 0;
    state.width = s.frameWidth ?? 0;
    state.height = s.frameHeight ?? 0;
    state.fps = Math.round(s.framesPerSecond ?? 0);
  });
  $('resolution').textContent = state.width ? `${state.width}×${state.height}` : '-';
  $('fps').textContent = `${state.fps} fps`;
  $('bitrate').textContent = `${state.kbps} kbps`;
}

async function fillPicker() {
  const res = await fetch('/api/streams').catch(() => null);
  if (!res?.ok) return;
  const list = await res.json();
  $('live').replaceChildren(...list.map((s) => Object.assign(document.createElement('option'), { value: s.name })));
}

$('pick').addEventListener('submit', (e) => {
  e.preventDefault();
  stream = $('stream').value.trim();
  history.replaceState(null, '', `?stream=${encodeURIComponent(stream)}`);
  if (janus?.isConnected() && handle) { handle.send({ message: { request: 'stop' } }); watch(); } else connect();
});

Janus.init({ debug: false, callback: () => {
  stream = new URLSearchParams(location.search).get('stream');
  if (stream) { $('stream').value = stream; connect(); }
} });
setInterval(stats, 500);
fillPicker();
setInterval(fillPicker, 5000);
