// Lists live streams from /api/streams every 3 s, with links to both players.
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

async function refresh() {
  try {
    const res = await fetch('/api/streams');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const streams = await res.json();
    body.replaceChildren(...streams.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.stream = s.name;
      const watch = document.createElement('td');
      watch.append(link(`/viewer.html?stream=${encodeURIComponent(s.name)}`, 'viewer'), ' · ',
        link(`/client2/examples/demo/streaming/player/player.html?streamName=${encodeURIComponent(s.name)}`, 'SDK player'));
      tr.append(cell(s.name), cell(s.status), cell(s.origin), cell(s.videoCodec ?? '-'), cell(String(s.players)),
        cell(new Date(s.createdAt).toLocaleTimeString()), watch);
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
