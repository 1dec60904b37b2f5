/**
 * When a request reached the broker: stamped on Node's `request` event, before Hono builds its
 * Request and runs any middleware, so that a deadline counting from arrival also covers that.
 */
import type { IncomingMessage } from 'node:http';

const arrivals = new WeakMap<IncomingMessage, number>();

/** Stamps every request the server emits, ahead of the server's own handler. */
export function stampArrivals(server: { prependListener(event: 'request', listener: (req: IncomingMessage) => void): unknown }): void {
  server.prependListener('request', (req) => arrivals.set(req, performance.now()));
}

/** performance.now() at the request's arrival, when it was stamped. */
export function arrivalOf(incoming: IncomingMessage | undefined): number | undefined {
  return incoming ? arrivals.get(incoming) : undefined;
}
