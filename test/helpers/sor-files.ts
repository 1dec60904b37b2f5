/**
 * SOR snapshots for tests: the committed fixtures, and variants edited as text the way a later
 * SOR export would differ (a unit renamed, one gone, one new), or broken the ways files break.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { SorImportInput } from '../../src/directory/sor-import.js';

export const NORTH_JUTLAND_XML = readFileSync('fixtures/sor/north-jutland.xml', 'utf8');
export const SAMPLE_PRAKSIS = 'fixtures/sor/samples/ONE_PRAKSIS.xml';
export const SAMPLE_SYGEHUS = 'fixtures/sor/samples/ONE_SYGEHUS.xml';

export const NJ = {
  region: '9500011000016001',
  childPsychiatry: '9500031000016003',
  teamAalborg: '9500041000016004',
  outpatientClinic: '9500081000016008',
  eatingDisorders: '9500091000016009',
  teamThisted: '9500061000016006',
  /** Added by changedSnapshot(). */
  acuteTeam: '9500991000016002',
  aalborgKommune: '9520011000016001',
  aalborgHealth: '9520021000016002',
  aalborgPpr: '9520041000016004',
  aalborgFamily: '9520051000016005',
  hjorringKommune: '9520311000016001',
  gpKjaersgaard: '9510031000016003',
  gpThygesen: '9511231000016003',
} as const;

export const sorInput = (xml: string | Buffer, source = 'test.xml'): SorImportInput => ({
  source,
  stream: Readable.from([typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml]),
  totalBytes: Buffer.byteLength(xml),
});

/** The text of the whole `<OrganizationalUnitEntity>` block holding `sor` (a leaf unit). */
export function leafBlock(xml: string, sor: string): string {
  const at = xml.indexOf(`<SorIdentifier>${sor}</SorIdentifier>`);
  const start = xml.lastIndexOf('<OrganizationalUnitEntity>', at);
  const end = xml.indexOf('</OrganizationalUnitEntity>', at) + '</OrganizationalUnitEntity>'.length;
  const block = xml.slice(start, end);
  if (at < 0 || block.indexOf('<OrganizationalUnitEntity>', 1) > 0) throw new Error(`${sor} is not a leaf unit`);
  return block;
}

/** The next snapshot: Team Aalborg renamed, the eating-disorder section gone, a new unit added. */
export function changedSnapshot(xml = NORTH_JUTLAND_XML): string {
  const leaf = leafBlock(xml, NJ.eatingDisorders);
  const added = leaf
    .replace(NJ.eatingDisorders, NJ.acuteTeam)
    .replace('Afsnit for Spiseforstyrrelser', 'Akutteam for Børn og Unge');
  return xml
    .replace('<SnapshotDate>2026-11-23</SnapshotDate>', '<SnapshotDate>2026-12-01</SnapshotDate>')
    .replace('Børne- og Ungdomspsykiatri, Team Aalborg<', 'Børne- og Ungdomspsykiatri, Team Aalborg Øst<')
    .replace(leaf, added);
}
