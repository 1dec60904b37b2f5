import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SorParseError } from './errors.js';
import { FIXTURES, owner, parseXml, sorDoc } from '../../test/helpers/sor-parse.js';

async function failure(xml: string, chunk = 5): Promise<SorParseError> {
  try {
    await parseXml(xml, chunk);
  } catch (err) {
    if (err instanceof SorParseError) return err;
    throw err;
  }
  throw new Error('expected a SorParseError');
}

// sorDoc puts the entities from line 4 on; owner() writes one element per line:
// 4 <InstitutionOwnerEntity>, 5 <InstitutionOwner>, 6 <SorIdentifier>, 7 <EntityName>, 8 </InstitutionOwner>.
describe('SorParseError', () => {
  it('reports malformed XML with line and the element it happened in', async () => {
    const xml = sorDoc(owner('8321000016007').replace('<EntityName>Owner</EntityName>', '<EntityName>Owner</Entityname>'));
    const err = await failure(xml);
    expect(err.code).toBe('malformed-xml');
    expect(err.line).toBe(7);
    expect(err.element).toBe('EntityName');
    expect(err.message).toMatch(/^SOR XML:7:\d+: /);
  });

  it('reports a truncated file (the real sample cut in the middle of a unit)', async () => {
    const whole = await readFile(FIXTURES + 'samples/ONE_SYGEHUS.xml', 'utf8');
    const cut = whole.slice(0, whole.indexOf('<ShakIdentifier>2529010'));
    const err = await failure(cut, 64);
    expect(err.code).toBe('truncated');
    expect(err.element).toBe('OrganizationalUnit');
    expect(err.line).toBe(cut.split('\n').length);
    expect(err.message).toContain('truncated');
  });

  it('reports an empty document as truncated', async () => {
    expect((await failure('')).code).toBe('truncated');
  });

  it('rejects a wrong root element', async () => {
    const err = await failure(sorDoc('', '<Bundle xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0">').replace('</SorTree>', '</Bundle>'));
    expect([err.code, err.element, err.line]).toEqual(['wrong-root', 'Bundle', 2]);
  });

  it('rejects the right root in the wrong namespace', async () => {
    const err = await failure(sorDoc(owner('8321000016007'), '<SorTree xmlns="urn:oio:sundhedsstyrelsen:organisation:2.0.0">'));
    expect([err.code, err.element, err.line]).toEqual(['wrong-namespace', 'SorTree', 2]);
    expect(err.message).toContain('urn:oio:sundhedsstyrelsen:organisation:2.0.0');
  });

  it('rejects a duplicate SOR code at the second occurrence', async () => {
    const err = await failure(sorDoc(`${owner('8321000016007')}\n${owner('8321000016007')}`));
    // The second owner starts on line 11; its SorIdentifier is on line 13.
    expect([err.code, err.element, err.line]).toEqual(['duplicate-sor', 'SorIdentifier', 13]);
    expect(err.message).toContain('8321000016007');
  });

  it.each([
    ['too short', '1000016002'],
    ['letters', '83210000160A7'],
    ['outside the SOR namespace', '8321000017007'],
    ['19 digits', '1234567891000016007'],
    ['empty', ''],
  ])('rejects a SOR code that is %s', async (_label, code) => {
    const err = await failure(sorDoc(owner(code)));
    expect([err.code, err.element, err.line]).toEqual(['invalid-sor-code', 'SorIdentifier', 6]);
  });

  it('does not echo a malformed SOR code (it could be a CPR number)', async () => {
    const err = await failure(sorDoc(owner('0101011234')));
    expect(err.code).toBe('invalid-sor-code');
    expect(err.message).not.toContain('0101011234');
  });

  it('accepts the short real SOR codes (12 digits, Aarhus Kommune) and 18 digits', async () => {
    const records = await parseXml(sorDoc(`${owner('311000016009')}\n${owner('123456781000016007')}`));
    expect(records.map((r) => r.sor)).toEqual(['311000016009', '123456781000016007']);
  });

  it('rejects an entity without EntityName at the end of its data element', async () => {
    const xml = sorDoc(owner('8321000016007').replace('<EntityName>Owner</EntityName>', '<OwnerType>550891000005100</OwnerType>'));
    const err = await failure(xml);
    expect([err.code, err.element, err.line]).toEqual(['missing-element', 'InstitutionOwner', 8]);
    expect(err.message).toContain('EntityName');
  });

  it('rejects an entity without SorIdentifier', async () => {
    const xml = sorDoc(owner('x').replace('<SorIdentifier>x</SorIdentifier>', '<OwnerType>550891000005100</OwnerType>'));
    const err = await failure(xml);
    expect([err.code, err.element, err.line]).toEqual(['missing-element', 'InstitutionOwner', 8]);
    expect(err.message).toContain('SorIdentifier');
  });

  it('rejects an entity wrapper without any data element', async () => {
    const err = await failure(sorDoc('<InstitutionOwnerEntity>\n</InstitutionOwnerEntity>'));
    expect([err.code, err.element, err.line]).toEqual(['missing-element', 'InstitutionOwnerEntity', 5]);
  });

  it('rejects a unit placed directly under an owner', async () => {
    const inner = '<OrganizationalUnitEntity><OrganizationalUnit><SorIdentifier>8341000016002</SorIdentifier><EntityName>U</EntityName></OrganizationalUnit></OrganizationalUnitEntity>';
    const err = await failure(sorDoc(owner('8321000016007', inner)));
    expect([err.code, err.element, err.line]).toEqual(['misplaced-entity', 'OrganizationalUnitEntity', 9]);
  });

  it('rejects bytes that are not UTF-8', async () => {
    const bytes = new TextEncoder().encode(sorDoc(owner('8321000016007', '', 'XX')));
    const at = bytes.indexOf(0x58); // the first "X" of the name
    bytes[at] = 0xff;
    const { parseSorStream } = await import('./parser.js');
    const run = async (): Promise<void> => {
      for await (const _ of parseSorStream((async function* () { yield bytes; })())) void _;
    };
    await expect(run()).rejects.toMatchObject({ name: 'SorParseError', code: 'malformed-xml' });
  });

  it('yields the records before the error, so a caller sees how far the file was good', async () => {
    const { parseSorStream } = await import('./parser.js');
    const seen: string[] = [];
    const xml = sorDoc(`${owner('8321000016007')}\n${owner('8321000016007')}`);
    await expect(async () => {
      for await (const r of parseSorStream((async function* () { yield xml; })())) seen.push(r.sor);
    }).rejects.toBeInstanceOf(SorParseError);
    expect(seen).toEqual(['8321000016007']);
  });
});
