/**
 * A loopback TCP proxy between the broker and its PostgreSQL server, to fail the database for
 * real: `pause()` stops forwarding in both directions (connections stay open, bytes wait in the
 * proxy, new connections wait too: a server that hangs or a network that drops packets), `cut()`
 * destroys every connection (a server that died, a firewall reset), optionally refusing new ones
 * until `resume()`.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `url` (a postgres:// URL of the real server) with host and port replaced by the proxy's. */
  via(url: string): string;
  pause(): void;
  /** Destroys every connection; with `refuseNew`, new connections are dropped until `resume()`. */
  cut(options?: { refuseNew?: boolean }): void;
  resume(): void;
  /** Connections currently open through the proxy. */
  readonly open: number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held while paused, per direction. */
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'paused' | 'refusing' = 'forward';
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const flush = (pair: Pair) => {
    if (pair.upstream && pair.upstream.readyState === 'open') for (const b of pair.toUpstream.splice(0)) pair.upstream.write(b);
    for (const b of pair.toClient.splice(0)) pair.client.write(b);
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('connect', () => {
      if (mode === 'forward') flush(pair);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'forward') pair.client.write(chunk);
      else pair.toClient.push(chunk);
    });
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
  };

  const server = net.createServer((client) => {
    if (mode === 'refusing') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (mode === 'forward' && pair.upstream?.readyState === 'open') pair.upstream.write(chunk);
      else pair.toUpstream.push(chunk);
    });
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    // While paused a new connection is accepted but goes nowhere, like a SYN into a black hole.
    if (mode === 'forward') connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    pause() {
      mode = 'paused';
    },
    cut(options = {}) {
      if (options.refuseNew) mode = 'refusing';
      for (const pair of [...pairs]) destroy(pair);
    },
    resume() {
      mode = 'forward';
      for (const pair of pairs) {
        if (!pair.upstream) connectUpstream(pair);
        else flush(pair);
      }
    },
    get open() {
      return pairs.size;
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
