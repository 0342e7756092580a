import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDemoDir, indexDemoAssets } from './demo-assets';
import { DemoService } from './demo.service';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hekim-demo-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('demo assets', () => {
  it('indexes the built files by URL path with their content types, and nothing else', () => {
    const root = tree({
      'index.html': '<!doctype html>',
      'main.js': 'export {}',
      'main.js.map': '{}',
      'demo.css': 'body{}',
      'icons/logo.svg': '<svg/>',
      'README.md': 'not served',
    });
    const assets = indexDemoAssets(root);
    expect([...assets.keys()].sort()).toEqual([
      'demo.css',
      'icons/logo.svg',
      'index.html',
      'main.js',
      'main.js.map',
    ]);
    expect(assets.get('main.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('index.html')?.file).toBe(join(root, 'index.html'));
  });

  it('serves nothing when the demo was not built', () => {
    expect(indexDemoAssets(join(tmpdir(), 'hekim-no-such-dir')).size).toBe(0);
  });

  it('finds dist/demo under the project root, from the sources or the compiled server', () => {
    const root = tree({ 'package.json': '{}', 'dist/src/modules/demo/x.js': '' });
    expect(defaultDemoDir(join(root, 'dist/src/modules/demo'))).toBe(join(root, 'dist/demo'));
    expect(defaultDemoDir(__dirname)).toBe(join(__dirname, '../../../dist/demo'));
  });

  it('falls back to a demo folder beside the code when there is no package.json above', () => {
    expect(defaultDemoDir('/')).toBe(join('/', 'demo'));
  });

  it('answers NOT_FOUND for a path outside the allow-list', () => {
    const service = new DemoService(tree({ 'index.html': 'x' }));
    expect(() => service.open('../package.json')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(service.open('index.html').getHeaders().type).toBe('text/html; charset=utf-8');
  });

  it('warns at start-up when the page was not built, and serves no page', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const service = new DemoService(tree({}));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('demo page not built'));
      expect(() => service.open('index.html')).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND' }),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
