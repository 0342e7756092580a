// Memory of a child process read through its inspector (the process is started with
// `--inspect=127.0.0.1:<port>`, see inspectArgs): a full garbage collection is forced first,
// so the figure is what the process retains and not the garbage it happens to carry, and it
// is done the same way for Hekim and a baseline, with no hook in either's code.
import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';
import { freePort } from './hekim';
import { http } from './http';

// process.memoryUsage() of the inspected process (bytes).
export interface RetainedMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  // V8's spaces: what each has committed and what its live objects use (bytes), to tell
  // memory the heap holds for live objects from pages it keeps committed without them.
  spaces: Record<string, { committed: number; used: number }>;
}

interface Reply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

// Node flags that open the inspector on a free loopback port, and that port.
export async function inspectArgs(): Promise<{ args: string[]; port: number }> {
  const port = await freePort();
  return { args: [`--inspect=127.0.0.1:${port}`], port };
}

export class Inspector {
  private next = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private onEvent: ((r: Reply) => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString()) as Reply;
      if (reply.id === undefined) return this.onEvent?.(reply);
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const list = await http<{ webSocketDebuggerUrl: string }[]>(
      'GET',
      `http://127.0.0.1:${port}/json/list`,
    );
    const url = Array.isArray(list.body) ? list.body[0]?.webSocketDebuggerUrl : undefined;
    if (!url) throw new Error(`no inspector target on port ${port}`);
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 ** 3 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = 120_000,
  ): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`inspector ${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.error) reject(new Error(`inspector ${method}: ${r.error.message}`));
        else resolve(r.result ?? {});
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  // A full collection (all available garbage, weak references cleared), then the process'
  // own reading of its memory.
  async retained(): Promise<RetainedMemory> {
    await this.send('HeapProfiler.collectGarbage');
    return this.usage();
  }

  // Full collections until V8's heap stops shrinking (at most `max`), then the reading. One
  // collection frees the garbage but picks the pages to compact by the live bytes counted
  // before it: what died since V8 last collected on its own stays as free space inside
  // committed pages (7 to 40 MB in scenario 4, depending on when that was), and the next
  // collection compacts them. The first reading is returned beside the last.
  async compacted(max = 4): Promise<{ first: RetainedMemory; last: RetainedMemory }> {
    const first = await this.retained();
    let last = first;
    for (let i = 1; i < max; i++) {
      const next = await this.retained();
      const shrunk = next.heapTotal < last.heapTotal;
      last = next;
      if (!shrunk) break;
    }
    return { first, last };
  }

  // The process' reading of its memory as it is, garbage included.
  async usage(): Promise<RetainedMemory> {
    const r = await this.send('Runtime.evaluate', {
      expression:
        '(({ rss, heapUsed, heapTotal, external }) => ({ rss, heapUsed, heapTotal, external, spaces: ' +
        "(() => { try { return Object.fromEntries(process.mainModule.require('node:v8')" +
        '.getHeapSpaceStatistics().map((s) => [s.space_name, ' +
        '{ committed: s.space_size, used: s.space_used_size }])); } catch { return {}; } })() }))' +
        '(process.memoryUsage())',
      returnByValue: true,
    });
    const value = (r.result as { value?: RetainedMemory } | undefined)?.value;
    if (!value) throw new Error('the inspector did not answer process.memoryUsage()');
    return value;
  }

  // A heap snapshot written to `file` (for a diff in Chrome DevTools or a script).
  async snapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.onEvent = (e) => {
      if (e.method === 'HeapProfiler.addHeapSnapshotChunk') out.write(String(e.params?.chunk));
    };
    try {
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 600_000);
    } finally {
      this.onEvent = undefined;
      await new Promise<void>((resolve) => out.end(resolve));
    }
  }

  close(): void {
    this.ws.close();
  }
}
