/**
 * A separate process that takes the data-directory lock and holds it until killed:
 * `node bin/run-ts.mjs test/helpers/hold-lock.ts <dataDir>`. Prints `locked` or `in-use`.
 */
import { DatabaseInUseError, lockDataDir } from '../../db/data-dir-lock.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hold-lock <dataDir>');
try {
  await lockDataDir(dataDir);
  process.stdout.write('locked\n');
  setInterval(() => undefined, 60_000);
} catch (error) {
  if (!(error instanceof DatabaseInUseError)) throw error;
  process.stdout.write('in-use\n');
  process.exit(2);
}
