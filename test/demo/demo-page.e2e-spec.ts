import { createTestApp, type TestApp } from '../support/test-app';

// The consultation app as a browser first sees it: HTML, its one bundled script (the app with
// the SDK it is built on, Socket.IO's client inside) and its styles, all from Hekim.
// Needs `npm run build` (part of `npm test`) to have produced dist/demo.
describe('demo page (GET /demo)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the app with its module script and its styles', async () => {
    const res = await t.http().get('/demo').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<script type="module" src="/demo/main.js"></script>');
    expect(res.text).toContain('<link rel="stylesheet" href="/demo/demo.css" />');
    for (const testId of ['signin-form', 'media-panel', 'precheck-panel', 'call-status']) {
      expect(res.text).toContain(`data-testid="${testId}"`);
    }
  });

  it('sends a content security policy that allows only its own scripts, no inline script', async () => {
    const res = await t.http().get('/demo').expect(200);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("script-src-attr 'none'");
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\son[a-z]+=/);
  });

  it('serves the bundled script (one module, nothing else to load) and styles with their content types', async () => {
    const page = await t.http().get('/demo').expect(200);
    const scripts = [...page.text.matchAll(/<script[^>]+src="\/demo\/([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['main.js']);

    const main = await t.http().get('/demo/main.js').expect(200);
    expect(main.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // One bundle (esbuild, demo/build.mjs): no module imports; i18next, both languages and the
    // SDK (its signaling namespace, its REST paths) in.
    expect(main.text).not.toMatch(/\bimport\s*[{*\w]|from\s*["']\.\//);
    expect(main.text).toContain('Çevrim içi muayene');
    expect(main.text).toContain('/signaling');
    expect(main.text).toContain('/api/v1/appointments/{id}/precheck');
    await t.http().get('/demo/main.js.map').expect(200);

    const css = await t.http().get('/demo/demo.css').expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('references no remote origin: no http(s) script, style or connect source', async () => {
    const files = ['/demo', '/demo/demo.css'];
    for (const file of [...files, '/demo/main.js']) {
      const res = await t.http().get(file).expect(200);
      expect({
        file,
        // Absolute URLs with a host (http, https, ws, wss) and protocol-relative src/href alike.
        // The one host allowed is in the text of an error of Socket.IO's client (bundled with the
        // SDK): a link to its migration guide in a message, never fetched.
        remote: (res.text.match(/\b(?:https?|wss?):\/\/[\w.-]+|(?:src|href)="\/\//gi) ?? []).filter(
          (url) => url !== 'https://socket.io',
        ),
      }).toEqual({
        file,
        remote: [],
      });
    }
  });

  it('answers unknown assets and path tricks with problem+json 404, never a file', async () => {
    for (const path of ['/demo/nope.js', '/demo/../package.json', '/demo/%2e%2e/package.json']) {
      const res = await t.http().get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the demo out of the OpenAPI document', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths).filter((p) => p.includes('demo'))).toEqual([]);
  });
});
