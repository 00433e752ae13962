// Lists live streams from /api/streams every 3 s, with links to the WebRTC and HLS players.
const body = document.querySelector('#streams tbody');
const empty = document.getElementById('empty');
const error = document.getElementById('error');

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

// A pull's link, compact: "RTT 42 ms · loss 0.1%"; "-" for what is not a pull or not sampled yet.
function linkText(link) {
  if (!link || (link.rttMs == null && link.lossAfterRepairPct == null)) return '-';
  const rtt = link.rttMs == null ? '?' : `${Math.round(link.rttMs)} ms`;
  const loss = link.lossAfterRepairPct == null ? '?' : `${link.lossAfterRepairPct}%`;
  return `RTT ${rtt} · loss ${loss}`;
}

// https pages need the TLS port to fetch the playlist; without one the plain port is the only one there is.
function playlistUrl(hls) {
  const secure = location.protocol === 'https:' && hls.tlsPort != null;
  return `${secure ? 'https:' : 'http:'}//${location.hostname}:${secure ? hls.tlsPort : hls.port}${hls.path}`;
}

async function refresh() {
  try {
    const res = await fetch('/api/streams');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const streams = await res.json();
    body.replaceChildren(...streams.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.stream = s.name;
      const name = encodeURIComponent(s.name);
      const watch = document.createElement('td');
      watch.append(link(`/viewer.html?stream=${name}`, 'viewer'), ' · ',
        link(`/client2/examples/demo/streaming/player/player.html?streamName=${name}`, 'SDK player'), ' · ',
        link(`/hls.html?stream=${name}`, 'HLS player'), ' · ', link(`/hls.html?stream=${name}&ll=1`, 'LL-HLS player'), ' · ',
        link(playlistUrl(s.hls), 'm3u8'), ' · ',
        link('/client2/examples/demo/streaming/hls-js-player/hls-js-player.html', 'SDK hls.js player'));
      tr.append(cell(s.name), cell(s.status), cell(s.origin), cell(linkText(s.link)), cell(s.videoCodec ?? '-'), cell(String(s.players)),
        cell(s.hls.state ?? 'on demand'), cell(new Date(s.createdAt).toLocaleTimeString()), watch);
      return tr;
    }));
    empty.hidden = streams.length > 0;
    error.hidden = true;
  } catch (err) {
    error.textContent = `Cannot list streams: ${err.message}`;
    error.hidden = false;
  }
}

refresh();
setInterval(refresh, 3000);
