// Plays a stream from the relay's HLS port with hls.js (global Hls, loaded by hls.html) and shows live stats,
// mirrored in window.siphonHls so browser tests can read the same numbers people see.
const $ = (id) => document.getElementById(id);
const video = $('video');
const params = new URLSearchParams(location.search);
const name = params.get('stream');
const ll = params.get('ll') === '1';
// A guarded relay's credential: sent with the playlist request only, and taken out of the address bar at once so it
// is not bookmarked, shared or sent on as a Referer.
let token = params.get('token');
if (token) {
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}?${params}`);
}
const state = {
  status: 'loading', latency: null, buffer: 0, kbps: 0, framesDecoded: 0, firstFrameMs: null,
  discontinuities: 0, errors: [], playingDate: null,
};
window.siphonHls = state;

let hls = null;
let playingSeen = false;
let lastCc = null;
const loads = []; // [performance.now(), bytes] of fragments and parts, for the 5 s bitrate window

function setStatus(status) {
  state.status = status;
  $('status').textContent = status;
}

function fail(message) {
  setStatus(`error: ${message}`);
  $('error').textContent = message;
  $('error').hidden = false;
}

// https pages can only fetch the TLS port; without one the plain port is still better than nothing.
function playlistUrl(entry) {
  const path = entry?.path ?? `/${encodeURIComponent(name)}/${encodeURIComponent(name)}.m3u8`;
  const secure = location.protocol === 'https:' && (entry ? entry.tlsPort != null : true);
  const port = secure ? (entry?.tlsPort ?? 8445) : (entry?.port ?? 8082);
  return `${secure ? 'https:' : 'http:'}//${location.hostname}:${port}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

async function findEntry() {
  try {
    const res = await fetch('/api/streams');
    if (!res.ok) return null;
    return (await res.json()).find((s) => s.name === name)?.hls ?? null;
  } catch {
    return null;
  }
}

function onFirstFrame() {
  if (state.firstFrameMs !== null) return;
  state.firstFrameMs = Math.round(performance.now());
  console.log(`siphon-hls: first frame ${state.firstFrameMs} ms after page load`);
}

// `playing` fires before a frame is painted; only a decoded frame proves the picture is there.
function settle() {
  if (playingSeen && state.framesDecoded > 0) {
    playingSeen = false;
    setStatus('playing');
  }
}

function forwardBuffer() {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= t && t <= video.buffered.end(i)) return video.buffered.end(i) - t;
  }
  return 0;
}

function tick() {
  const now = performance.now();
  while (loads.length && now - loads[0][0] > 5000) loads.shift();
  const bytes = loads.reduce((sum, [, b]) => sum + b, 0);
  state.kbps = Math.round((bytes * 8) / 5000);
  state.framesDecoded = video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;
  if (state.framesDecoded > 0) onFirstFrame();
  state.buffer = Number(forwardBuffer().toFixed(2));
  state.latency = hls ? Number(hls.latency.toFixed(2)) : null;
  state.playingDate = hls?.playingDate?.getTime() ?? null;
  settle();
  $('latency').textContent = state.latency === null ? '-' : state.latency.toFixed(2);
  $('buffer').textContent = state.buffer.toFixed(2);
  $('bitrate').textContent = String(state.kbps);
  $('frames').textContent = String(state.framesDecoded);
}

// A fresh token before the current one expires: the next playlist request carries it (the media's session paths do
// not change), so playback goes on without a gap. For the page that embeds this one, and for tests.
state.refresh = (fresh) => { token = fresh; };

/** Playlist requests carry the current token (a refresh replaces the one in the source URL). */
function withCurrentToken(xhr, url) {
  const u = new URL(url);
  if (!token || !u.pathname.endsWith('.m3u8') || !u.searchParams.has('token')) return;
  u.searchParams.set('token', token);
  xhr.open('GET', u.toString(), true);
}

function play(src) {
  // A player that joins early (the output just started) would stay that far behind the edge for good:
  // let hls.js play up to 1.5x until it is back at its target latency.
  hls = new Hls({ lowLatencyMode: ll, maxLiveSyncPlaybackRate: 1.5, xhrSetup: withCurrentToken });
  hls.on(Hls.Events.FRAG_LOADED, (_, data) => {
    // In LL mode each part arrives as its own FRAG_LOADED while frag.stats.loaded keeps a running total.
    loads.push([performance.now(), data.part ? data.part.stats.loaded : data.frag.stats.loaded]);
  });
  hls.on(Hls.Events.FRAG_CHANGED, (_, { frag }) => {
    if (lastCc !== null && frag.cc !== lastCc) state.discontinuities += 1;
    lastCc = frag.cc;
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (!data.fatal) {
      state.errors = [...state.errors, data.details].slice(-10);
      return;
    }
    playingSeen = false;
    setStatus(`error: ${data.details}`);
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      // Without levels the manifest itself failed (stream not up yet), and startLoad would not fetch it again.
      console.warn(`siphon-hls: fatal network error ${data.details}, retrying in 1 s`);
      setTimeout(() => (hls.levels.length ? hls.startLoad() : hls.loadSource(src)), 1000);
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      console.warn(`siphon-hls: fatal media error ${data.details}, recovering`);
      hls.recoverMediaError();
    } else {
      console.error(`siphon-hls: fatal ${data.type} error ${data.details}, giving up`, data);
    }
  });
  hls.loadSource(src);
  hls.attachMedia(video);
}

video.addEventListener('playing', () => { playingSeen = true; settle(); });
// Before the first picture the element waits by nature; that is still `loading`.
video.addEventListener('waiting', () => { playingSeen = false; if (state.status !== 'loading') setStatus('stalled'); });
video.requestVideoFrameCallback?.(() => onFirstFrame());

async function start() {
  $('mode').textContent = ll ? 'LL-HLS' : 'HLS';
  if (!name) return fail('no stream given: open this page as /hls.html?stream=<name>');
  if (typeof Hls === 'undefined' || !Hls.isSupported()) return fail('hls.js is not available or this browser lacks Media Source Extensions');
  const src = params.get('src') || playlistUrl(await findEntry());
  $('url').textContent = src.replace(/([?&]token=)[^&]+/, '$1…');
  $('url').href = src;
  document.title = `${name} · Siphon HLS player`;
  play(src);
  setInterval(tick, 500);
}

start();
