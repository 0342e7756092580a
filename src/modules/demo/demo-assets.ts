import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';

// Content types of the files the demo build produces. Anything else is not served.
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface DemoAsset {
  file: string;
  contentType: string;
}

// The compiled demo lives in `<project>/dist/demo` (see `npm run build`). The server runs
// from `dist/src/...` in production and from `src/...` under ts-jest, so the project root
// is found by walking up to package.json rather than by a fixed number of `..`.
export function defaultDemoDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(from, 'demo');
    dir = parent;
  }
  return join(dir, 'dist', 'demo');
}

// An allow-list of the files present at start-up, keyed by their URL path ("app/main.js").
// Requests are looked up in it, so no request path ever reaches the file system: there is
// nothing to traverse with "..".
export function indexDemoAssets(root: string): Map<string, DemoAsset> {
  const assets = new Map<string, DemoAsset>();
  if (!existsSync(root)) return assets;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType) assets.set(relative(root, file).split(sep).join('/'), { file, contentType });
    }
  };
  walk(root);
  return assets;
}
