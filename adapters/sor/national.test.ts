import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isValidGln } from '../../domain/identifiers.js';
import { parseSorFile } from './read-file.js';

// Made by `npx tsx bench/sor-generate.ts` (gitignored, ~90 MB); the test is skipped without it.
const NATIONAL = fileURLToPath(new URL('../../fixtures/generated/sor-national.xml', import.meta.url));

describe('parseSorStream on the generated national SOR file', () => {
  it.skipIf(!existsSync(NATIONAL))('streams every entity, parents before children, with valid EANs', async () => {
    const seen = new Set<string>();
    const owners: Record<string, number> = {};
    let gpUnits = 0;
    let maxDepth = 0;
    let badEans = 0;
    let orphans = 0;
    for await (const r of parseSorFile(NATIONAL)) {
      if (r.parentSor !== null && !seen.has(r.parentSor)) orphans++;
      seen.add(r.sor);
      if (r.level === 'institution-owner') owners[r.ownerType ?? 'none'] = (owners[r.ownerType ?? 'none'] ?? 0) + 1;
      if (r.ydernummer !== null) gpUnits++;
      maxDepth = Math.max(maxDepth, r.depth);
      badEans += r.eans.filter((e) => !isValidGln(e.ean)).length;
    }
    expect(seen.size).toBeGreaterThanOrEqual(50_000);
    expect(owners['550881000005103']).toBe(5);
    expect(owners['547211000005108']).toBe(98);
    expect(gpUnits).toBeGreaterThanOrEqual(1_600);
    expect(maxDepth).toBeGreaterThanOrEqual(4);
    expect([orphans, badEans]).toEqual([0, 0]);
  }, 120_000);
});
