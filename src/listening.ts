// Whether the service can listen where it is told to, and the one line a start ends with when it cannot.
// Asked first thing by `barona serve` (cli.ts), before the server and the database are loaded, so a
// taken port ends the start within a second instead of after a database start-up.
import net from 'node:net';

/** The one line a start that cannot listen ends with: where, and why in words. */
export function listenError(host: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is taken (is another barona, or another service, running on it?)'
      : code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : code === 'EADDRNOTAVAIL'
          ? 'this machine has no such address (check HOST)'
          : (error as Error).message;
  return new Error(`cannot listen on ${where}: ${why}${code ? ` (${code})` : ''}`, { cause: error });
}

/** Resolves when `host:port` can be listened on (listens, then lets go); rejects with listenError. */
export function portIsFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error) => reject(listenError(host, port, error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
