/**
 * `GET /docs`: the API reference, one self-contained page (no external script, font, style or
 * image, so it works offline) that reads `/openapi.json` and renders it: the operations by tag
 * with their parameters, request body and answers, each schema as a table of its fields (type,
 * required, limits, description), named schemas linked to their own section. Everything from the
 * document is inserted as text, never as HTML. test/e2e/docs-page.test.ts loads it in Chromium.
 */
export const DOCS_PAGE_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'";

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Astra API reference</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2433; display: flex; }
  nav { position: sticky; top: 0; height: 100vh; overflow: auto; min-width: 15rem; padding: 1rem; border-right: 1px solid #d8dde6; box-sizing: border-box; font-size: 13px; }
  nav a { display: block; color: #1d2433; text-decoration: none; padding: 0.1rem 0; } nav a:hover { text-decoration: underline; }
  nav .tag { font-weight: 700; margin-top: 0.8rem; text-transform: capitalize; }
  main { padding: 1.5rem 2rem; max-width: 980px; }
  h2 { margin-top: 2.2rem; border-bottom: 1px solid #d8dde6; text-transform: capitalize; }
  .op, .schema { border: 1px solid #d8dde6; border-radius: 6px; margin: 0.9rem 0; padding: 0.7rem 1rem; }
  .method { display: inline-block; min-width: 4.2rem; font-weight: 700; }
  .GET { color: #1c6dd0; } .POST { color: #1a8a4a; } .PATCH { color: #b7791f; } .DELETE { color: #c53030; }
  code { font-family: ui-monospace, monospace; font-size: 13px; }
  .muted { color: #5b6475; } .req { color: #c53030; font-size: 12px; } .type { font-family: ui-monospace, monospace; font-size: 13px; color: #6b3fa0; }
  table { border-collapse: collapse; width: 100%; margin: 0.3rem 0; } td, th { padding: 0.2rem 0.6rem 0.2rem 0; vertical-align: top; text-align: left; }
  th { font-size: 12px; color: #5b6475; font-weight: 600; } tr + tr td { border-top: 1px solid #eef0f4; }
  h4 { margin: 0.8rem 0 0.2rem; font-size: 13px; text-transform: uppercase; color: #5b6475; }
  details > summary { cursor: pointer; } .nested { margin-left: 1rem; }
</style>
</head>
<body>
<nav id="nav"><strong>Astra API</strong></nav>
<main>
<h1>Astra API reference</h1>
<p class="muted" id="intro">Loading /openapi.json…</p>
<div id="ops"></div>
<h2 id="schemas">Schemas</h2>
<div id="schema-list"></div>
</main>
<script>
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const add = (parent, ...children) => { for (const child of children) parent.appendChild(child); return parent; };
  const refName = (ref) => ref.split('/').pop();
  const link = (name) => { const a = el('a', name, 'type'); a.href = '#schema-' + name; return a; };

  // A one-line type: a named schema's name, string (format), integer 1…100, "a" | "b", T[], T | null.
  function typeText(s) {
    if (!s || Object.keys(s).length === 0) return 'any JSON';
    if (s.$ref) return refName(s.$ref);
    if ('const' in s) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
    const alternatives = s.anyOf || s.oneOf;
    if (alternatives) return alternatives.some((a) => Object.keys(a).length === 0) ? 'any JSON' : alternatives.map(typeText).join(' | ');
    if (Array.isArray(s.type)) return s.type.map((type) => typeText(Object.assign({}, s, { type }))).join(' | ');
    if (s.type === 'array') return typeText(s.items) + '[]';
    if (s.type === 'object' && !s.properties) return s.additionalProperties && Object.keys(s.additionalProperties).length > 0 ? 'map of ' + typeText(s.additionalProperties) : 'object';
    let text = s.type || 'any JSON';
    if (s.format) text += ' (' + s.format + ')';
    return text;
  }
  function limits(s) {
    const parts = [];
    if (s.minimum !== undefined && s.minimum > -9007199254740991) parts.push('≥ ' + s.minimum);
    if (s.maximum !== undefined && s.maximum < 9007199254740991) parts.push('≤ ' + s.maximum);
    if (s.minLength !== undefined) parts.push('length ≥ ' + s.minLength);
    if (s.maxLength !== undefined) parts.push('length ≤ ' + s.maxLength);
    if (s.minItems !== undefined) parts.push('items ≥ ' + s.minItems);
    if (s.maxItems !== undefined) parts.push('items ≤ ' + s.maxItems);
    if (s.pattern !== undefined) parts.push('pattern ' + s.pattern);
    return parts.join(', ');
  }
  // The type as text; each named schema it mentions is a link to that schema's section.
  function typeCell(s) {
    const cell = el('td', undefined, 'type');
    const refs = [];
    const collect = (x) => { if (!x) return; if (x.$ref) refs.push(refName(x.$ref)); (x.anyOf || x.oneOf || []).forEach(collect); if (x.items) collect(x.items); };
    collect(s);
    const text = typeText(s);
    const pieces = text.split(/([A-Za-z0-9_]+)/);
    for (const piece of pieces) add(cell, refs.includes(piece) ? link(piece) : document.createTextNode(piece));
    const bounds = limits(s.anyOf ? (s.anyOf.find((a) => a.type && a.type !== 'null') || s) : s);
    if (bounds) add(cell, el('div', bounds, 'muted'));
    return cell;
  }
  function objectOf(s) { if (!s) return undefined; if (s.type === 'object' && s.properties) return s; if (s.type === 'array') return objectOf(s.items); const alt = (s.anyOf || []).find((a) => a.type === 'object' && a.properties); return alt; }
  // A schema as a table of its fields; nested objects unfold below their field.
  function schemaView(s, depth) {
    const box = el('div', undefined, depth > 0 ? 'nested' : '');
    if (s && s.$ref) { add(box, el('span', 'See ', 'muted'), link(refName(s.$ref))); return box; }
    const object = objectOf(s);
    if (!object) { add(box, el('div', typeText(s), 'type')); if (s && s.description) add(box, el('div', s.description, 'muted')); return box; }
    if (s.type === 'array') add(box, el('div', 'An array of:', 'muted'));
    const table = add(el('table'), add(el('tr'), el('th', 'field'), el('th', 'type'), el('th', 'description')));
    const required = new Set(object.required || []);
    for (const [name, property] of Object.entries(object.properties)) {
      const nameCell = add(el('td'), el('code', name));
      if (required.has(name)) add(nameCell, el('span', ' required', 'req'));
      const description = el('td', property.description || '', 'muted');
      const nested = objectOf(property);
      if (nested && depth < 3) { const d = add(el('details'), el('summary', 'fields')); add(d, schemaView(property, depth + 1)); description.appendChild(d); }
      add(table, add(el('tr'), nameCell, typeCell(property), description));
    }
    return add(box, table);
  }

  fetch('openapi.json').then((r) => r.json()).then((doc) => {
    document.getElementById('intro').textContent = doc.info.description + ' Version ' + doc.info.version + '. Send Authorization: Bearer <token> unless an operation is marked public.';
    const byTag = new Map();
    for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method: method.toUpperCase(), op });
    }
    const root = document.getElementById('ops');
    const nav = document.getElementById('nav');
    for (const [tag, ops] of byTag) {
      add(root, el('h2', tag));
      add(nav, el('div', tag, 'tag'));
      for (const { path, method, op } of ops) {
        const id = 'op-' + (op.operationId || method + path);
        const box = el('section', undefined, 'op'); box.id = id;
        const navLink = el('a', op.operationId || method + ' ' + path); navLink.href = '#' + id; add(nav, navLink);
        const head = add(el('div'), el('span', method, 'method ' + method), el('code', path));
        if (op.security && op.security.length === 0) add(head, el('span', '  public', 'muted'));
        add(box, head, el('div', op.summary), el('div', 'operationId: ' + op.operationId, 'muted'));
        if (op['x-astra-access']) add(box, el('div', 'access: ' + JSON.stringify(op['x-astra-access']), 'muted'));
        if (op.parameters && op.parameters.length > 0) {
          const table = add(el('table'), add(el('tr'), el('th', 'in'), el('th', 'parameter'), el('th', 'type'), el('th', 'description')));
          for (const p of op.parameters) {
            const name = add(el('td'), el('code', p.name)); if (p.required) add(name, el('span', ' required', 'req'));
            add(table, add(el('tr'), el('td', p.in, 'muted'), name, typeCell(p.schema || {}), el('td', p.description || (p.schema && p.schema.description) || '', 'muted')));
          }
          add(box, el('h4', 'Parameters'), table);
        }
        const body = op.requestBody && op.requestBody.content['application/json'];
        if (body) add(box, el('h4', 'Request body'), schemaView(body.schema, 0));
        add(box, el('h4', 'Responses'));
        for (const [status, answer] of Object.entries(op.responses)) {
          const media = answer.content ? Object.entries(answer.content)[0] : undefined;
          const line = add(el('div'), el('strong', status + ' '), el('span', answer.description, 'muted'));
          if (media && media[0] !== 'application/json') add(line, el('code', '  ' + media[0]));
          add(box, line);
          if (media && media[1].schema) add(box, schemaView(media[1].schema, 1));
        }
        add(root, box);
      }
    }
    const list = document.getElementById('schema-list');
    add(nav, el('div', 'schemas', 'tag'));
    for (const [name, schema] of Object.entries((doc.components && doc.components.schemas) || {})) {
      const box = el('section', undefined, 'schema'); box.id = 'schema-' + name;
      add(box, el('h3', name));
      if (schema.description) add(box, el('p', schema.description, 'muted'));
      add(list, add(box, schemaView(schema, 0)));
      const navLink = el('a', name); navLink.href = '#schema-' + name; add(nav, navLink);
    }
    document.body.dataset.rendered = 'true';
  }).catch((error) => { document.getElementById('intro').textContent = 'Could not load /openapi.json: ' + error; });
</script>
</body>
</html>
`;
