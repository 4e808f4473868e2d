/**
 * `GET /docs`: one self-contained page (no external script, font or style) that reads
 * `/openapi.json` and lists every operation with its parameters, body schema and answers.
 * Everything from the document is inserted as text, never as HTML.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Astra API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1.5rem; color: #1d2433; }
  h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d8dde6; text-transform: capitalize; }
  .op { border: 1px solid #d8dde6; border-radius: 6px; margin: 0.8rem 0; padding: 0.6rem 0.9rem; }
  .method { display: inline-block; min-width: 4.2rem; font-weight: 700; }
  .GET { color: #1c6dd0; } .POST { color: #1a8a4a; } .PATCH { color: #b7791f; } .DELETE { color: #c53030; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f4f6fa; padding: 0.6rem; overflow: auto; border-radius: 4px; }
  .muted { color: #5b6475; } table { border-collapse: collapse; } td { padding: 0.1rem 0.8rem 0.1rem 0; vertical-align: top; }
</style>
</head>
<body>
<h1>Astra API</h1>
<p class="muted" id="intro">Loading /openapi.json…</p>
<div id="ops"></div>
<script>
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  fetch('openapi.json').then((r) => r.json()).then((doc) => {
    document.getElementById('intro').textContent = doc.info.description + ' Version ' + doc.info.version + '. Send Authorization: Bearer <token> unless marked public.';
    const byTag = new Map();
    for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method: method.toUpperCase(), op });
    }
    const root = document.getElementById('ops');
    for (const [tag, ops] of byTag) {
      root.appendChild(el('h2', tag));
      for (const { path, method, op } of ops) {
        const box = el('div', undefined, 'op');
        const head = el('div'); head.appendChild(el('span', method, 'method ' + method)); head.appendChild(el('code', path));
        if (op.security && op.security.length === 0) head.appendChild(el('span', '  public', 'muted'));
        box.appendChild(head); box.appendChild(el('div', op.summary));
        if (op.parameters) { const t = el('table'); for (const p of op.parameters) { const tr = el('tr'); tr.appendChild(el('td', p.in, 'muted')); tr.appendChild(el('td', p.name)); tr.appendChild(el('td', p.description || JSON.stringify(p.schema), 'muted')); t.appendChild(tr); } box.appendChild(t); }
        const body = op.requestBody && op.requestBody.content['application/json'].schema;
        if (body) box.appendChild(el('pre', JSON.stringify(body, null, 2)));
        const t = el('table'); for (const [status, r] of Object.entries(op.responses)) { const tr = el('tr'); tr.appendChild(el('td', status)); tr.appendChild(el('td', r.description, 'muted')); t.appendChild(tr); } box.appendChild(t);
        root.appendChild(box);
      }
    }
  }).catch((error) => { document.getElementById('intro').textContent = 'Could not load /openapi.json: ' + error; });
</script>
</body>
</html>
`;
