/**
 * Injected database failures for one broker instance: a Kysely plugin that fails the statements
 * a rule picks, while armed, as a broken connection would (ECONNRESET), before they reach the
 * database. The instance's other statements, and every other instance, are untouched.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { DatabaseHandle } from '../../db/connection.js';

export interface Fault {
  /** Fails the next `times` statements whose operation tree mentions `needle` (a table name, or SQL text of a raw statement). */
  arm(needle: string, times?: number): void;
  disarm(): void;
  /** How many statements it failed. */
  readonly failed: number;
}

export function withFault(database: DatabaseHandle): { database: DatabaseHandle; fault: Fault } {
  let needle: string | null = null;
  let remaining = 0;
  let failed = 0;
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (needle !== null && remaining > 0 && JSON.stringify(args.node).includes(needle)) {
        remaining--;
        failed++;
        throw Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' });
      }
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  };
  return {
    database: { ...database, db: database.db.withPlugin(plugin), close: async () => undefined },
    fault: {
      arm(n, times = Number.POSITIVE_INFINITY) {
        needle = n;
        remaining = times;
      },
      disarm() {
        needle = null;
        remaining = 0;
      },
      get failed() {
        return failed;
      },
    },
  };
}
