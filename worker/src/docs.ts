/** A self-contained API docs page rendered from the OpenAPI document: no CDN, works offline. */
type Doc = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };
type Operation = { summary?: string; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { description: string }> };

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function docsPage(doc: Doc): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => `
<section>
  <h2><code>${method.toUpperCase()} ${esc(path)}</code></h2>
  <p>${esc(op.summary ?? '')}</p>
  ${op.requestBody ? `<h3>Body</h3><pre>${esc(JSON.stringify(op.requestBody.content['application/json']?.schema, null, 2))}</pre>` : ''}
  <h3>Responses</h3>
  <table>${Object.entries(op.responses).map(([code, r]) => `<tr><td><code>${code}</code></td><td>${esc(r.description)}</td></tr>`).join('')}</table>
</section>`)).join('');
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, s]) =>
    `<h3 id="${esc(name)}">${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}pre{background:#f4f4f4;padding:.6rem;overflow:auto}td{padding:.2rem .8rem;border-bottom:1px solid #ddd}</style>
</head><body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? '')}</p><p>Machine-readable: <a href="/rest-api/openapi.json">/rest-api/openapi.json</a></p>
${ops}<h2>Schemas</h2>${schemas}</body></html>`;
}
