import { createServer } from 'node:net';

// What a failed listen means to the person starting Hekim, in one sentence.
// Only errors of binding the address (not, say, a file that cannot be read) qualify.
export function listenFailure(error: unknown, host: string, port: number): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (!e || !['listen', 'bind', 'getaddrinfo'].includes(e.syscall ?? '')) return undefined;
  const inUse =
    `${host}:${port} is already in use (another Hekim, or another program). ` +
    'Stop it, or set PORT to a free port (PORT=0 picks one).';
  const denied = `no permission to listen on ${host}:${port}; ports below 1024 need privileges: set PORT to 1024 or above.`;
  const notHere = `HOST=${host} is not an address of this machine: set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses.`;
  const byCode: Record<string, string> = {
    EADDRINUSE: inUse,
    EACCES: denied,
    EADDRNOTAVAIL: notHere,
    ENOTFOUND: notHere,
    EAI_AGAIN: notHere,
  };
  return e.code !== undefined ? byCode[e.code] : undefined;
}

// Binds the address and lets it go at once, so that a start-up that could not listen fails
// before it starts a database, migrates or creates an account. (Another program may still
// take the port in the moment before Hekim binds it; that listen error is reported the same
// way, only later.) PORT=0 asks for any free port and needs no check.
export async function checkCanListen(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    const failure = listenFailure(error, host, port);
    if (failure) return failure;
    throw error;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return undefined;
}
