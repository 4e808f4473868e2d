import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The pages the browser tests visit, served on loopback by a real HTTP server: text, a form whose
 * submit button writes what was typed, a button that changes a heading, a cookie setter and reader,
 * and a page whose response never comes (for timeouts). `requests` counts what reached the site.
 */
export interface TestSite {
  readonly origin: string;
  readonly port: number;
  readonly requests: string[];
  /** Resolves when `/hang` is next requested (the browser is then waiting on it): call it before. */
  nextHang(): Promise<void>;
  /** Ends every hanging response (the connection is destroyed). */
  releaseHanging(): void;
  close(): Promise<void>;
}

const PAGES: Record<string, string> = {
  '/': `<!doctype html><html><head><title>Astra test page</title></head>
<body><h1 id="heading">Hello from the test site</h1><p class="intro">Plain text to extract.</p>
<a href="/form">the form</a></body></html>`,
  '/form': `<!doctype html><html><head><title>Form</title></head><body>
<form id="f" onsubmit="event.preventDefault(); document.getElementById('out').textContent = 'Hi ' + document.getElementById('name').value;">
<input id="name" name="name"><button id="send" type="submit">Send</button></form>
<p id="out">nothing yet</p></body></html>`,
  '/button': `<!doctype html><html><head><title>Button</title></head><body>
<h2 id="state">before</h2><button id="go" onclick="document.getElementById('state').textContent = 'after'">Go</button>
</body></html>`,
  '/tall': `<!doctype html><html><head><title>Tall</title></head><body style="margin:0">
<div style="height:2000px;background:linear-gradient(red,blue)">tall</div></body></html>`,
};

export async function startTestSite(): Promise<TestSite> {
  const requests: string[] = [];
  const onHang: (() => void)[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    requests.push(url.pathname);
    if (url.pathname === '/hang') {
      hanging.add(res);
      for (const resolve of onHang.splice(0)) resolve();
      return;
    }
    if (url.pathname === '/set-cookie') {
      res.writeHead(200, {
        'content-type': 'text/html',
        'set-cookie': 'astra_test=remembered; Path=/; Max-Age=3600',
      });
      res.end('<!doctype html><title>Cookie set</title><p>set</p>');
      return;
    }
    if (url.pathname === '/cookies') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Cookies</title><p id="c">[${req.headers.cookie ?? ''}]</p>`);
      return;
    }
    const page = PAGES[url.pathname];
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Not found</title><p>no such page</p>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    nextHang: () => new Promise<void>((resolve) => onHang.push(resolve)),
    releaseHanging() {
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
