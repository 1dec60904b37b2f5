/**
 * The SIEM feed's emitter: one per broker, made in the composition root and passed to what reports
 * security events (no global). The sink is stdout (one JSON line each) or syslog over UDP or TCP
 * (RFC 5424, facility `log audit`, the event type as MSGID, the JSON line as the message; TCP
 * frames by newline, RFC 6587). Emitting never fails or delays the request that reports it: a
 * sink that is down is logged (rate-limited) and the event dropped; the audit log is the record.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import syslog from 'syslog-client';
import { SEVERITY, type SecurityEvent, securityEventLine } from './security-event.js';

export interface SecurityEvents {
  emit(event: SecurityEvent): void;
  /** Waits for events handed to the sink, then closes it. */
  close(): Promise<void>;
}

export type SecurityEventsSink =
  | { readonly kind: 'off' }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'syslog'; readonly transport: 'udp' | 'tcp'; readonly host: string; readonly port: number };

export const NO_SECURITY_EVENTS: SecurityEvents = { emit: () => undefined, close: async () => undefined };

/** Parses BROKER_SECURITY_EVENTS: `off`, `stdout`, `udp://host:port` or `tcp://host:port` (syslog). */
export function parseSecurityEventsSink(text: string | undefined, problems: string[]): SecurityEventsSink {
  const value = (text ?? 'off').trim();
  if (value === 'off' || value === '') return { kind: 'off' };
  if (value === 'stdout') return { kind: 'stdout' };
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    problems.push('BROKER_SECURITY_EVENTS: must be off, stdout, udp://host:port or tcp://host:port');
    return { kind: 'off' };
  }
  return { kind: 'syslog', transport: m[1] as 'udp' | 'tcp', host: (m[2] as string).replace(/^\[|\]$/g, ''), port };
}

const SYSLOG_SEVERITY = {
  warning: syslog.Severity.Warning,
  notice: syslog.Severity.Notice,
  error: syslog.Severity.Error,
  critical: syslog.Severity.Critical,
} as const;

export function createSecurityEvents(
  sink: SecurityEventsSink,
  deps: { readonly logger: Logger; /** stdout's writer (tests). */ readonly write?: (line: string) => void },
): SecurityEvents {
  if (sink.kind === 'off') return NO_SECURITY_EVENTS;
  if (sink.kind === 'stdout') {
    const write = deps.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
    return { emit: (event) => write(securityEventLine(event)), close: async () => undefined };
  }
  const client = syslog.createClient(sink.host, {
    port: sink.port,
    transport: sink.transport === 'tcp' ? syslog.Transport.Tcp : syslog.Transport.Udp,
    rfc3164: false,
    facility: syslog.Facility.Audit,
    appName: 'child-data-broker',
    syslogHostname: hostname(),
    tcpTimeout: 2000,
  });
  let lastComplaint = 0;
  const complain = (error: Error) => {
    // One line a minute at most: a SIEM that is down must not flood the broker's own log.
    if (Date.now() - lastComplaint < 60_000) return;
    lastComplaint = Date.now();
    deps.logger.warn({ err: error, sink: `${sink.transport}://${sink.host}:${sink.port}` }, 'security event not delivered to syslog');
  };
  client.on('error', complain);
  const pending = new Set<Promise<void>>();
  return {
    emit(event) {
      const sent = new Promise<void>((resolve) => {
        client.log(securityEventLine(event), { severity: SYSLOG_SEVERITY[SEVERITY[event.type]], msgid: event.type }, (error) => {
          if (error) complain(error);
          resolve();
        });
      });
      pending.add(sent);
      void sent.then(() => pending.delete(sent));
    },
    async close() {
      await Promise.all([...pending]);
      client.close();
    },
  };
}
