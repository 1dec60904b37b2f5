import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyCommonFailure, send, type SimulatorBehaviour } from './behaviour.js';

/** A loopback HTTP server with a swappable behaviour; the protocol comes as a handler. */
export interface RunningSimulator {
  url: string;
  setBehaviour(b: SimulatorBehaviour): void;
  /** Requests received so far: tests see whether the broker asked at all. (A function, so it survives a spread.) */
  requestCount(): number;
  close(): Promise<void>;
}

export type ProtocolHandler = (req: IncomingMessage, res: ServerResponse, url: URL, b: SimulatorBehaviour) => Promise<void>;

export async function startHttpSimulator(
  handler: ProtocolHandler,
  initial: SimulatorBehaviour,
  basePath: string,
  host = '127.0.0.1',
): Promise<RunningSimulator> {
  let behaviour = initial;
  const hanging = new Set<ServerResponse>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    res.on('error', () => undefined); // a client that goes away mid-answer is normal here
    const current = behaviour;
    void (async () => {
      if (await applyCommonFailure(current, res, hanging)) return;
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
      await handler(req, res, url, current);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'simulator failure');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${basePath}`,
    setBehaviour(b) {
      behaviour = b;
    },
    requestCount: () => requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
