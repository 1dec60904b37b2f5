import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseSorStream } from './parser.js';
import { collect, FIXTURES, owner, parseFixture, parseXml, sorDoc } from '../../test/helpers/sor-parse.js';

describe('parseSorStream on the real ONE_PRAKSIS.xml sample', () => {
  it('yields owner, practice and practice unit with their parents, in document order', async () => {
    const records = await parseFixture('samples/ONE_PRAKSIS.xml');
    expect(records.map((r) => [r.sor, r.parentSor, r.level])).toEqual([
      ['8321000016007', null, 'institution-owner'],
      ['8331000016009', '8321000016007', 'health-institution'],
      ['8341000016002', '8331000016009', 'organisational-unit'],
    ]);
  });

  it('reads the owner with its EAN, address, phone and fax', async () => {
    const [ownerRec] = await parseFixture('samples/ONE_PRAKSIS.xml');
    expect(ownerRec).toMatchObject({
      name: 'Michael Filtenborg',
      ownerType: '550891000005100',
      validFrom: '1999-03-25',
      validTo: null,
      updatedAt: '2009-03-31',
      phones: ['48300204'],
      faxes: ['48300109'],
      regionCode: '1084',
      addresses: [{ kind: 'postal', street: 'Vesterbrogade 21', postalCode: '3250', district: 'Gilleleje', countryCode: 'DK', municipalityCode: null }],
      eans: [
        {
          ean: '5790000141227', onlyInternal: false, nonActive: false, systemSupplier: '641000055002',
          systemType: '1611000045003', communicationSupplier: '41000035001', regionCode: '1084',
          ediAdministrator: '116', validFrom: '1999-03-25',
        },
      ],
    });
  });

  it('reads the practice (entity-decoded name, institution type) and the unit (ydernummer, speciality)', async () => {
    const [, practice, unit] = await parseFixture('samples/ONE_PRAKSIS.xml');
    expect(practice).toMatchObject({ name: 'Michael Filtenborg & co', unitType: '394761003', eans: [], eanInheritedIndicator: true });
    expect(unit).toMatchObject({ name: 'Michael Filtenborg', ydernummer: '019062', specialities: ['408443003'], depth: 2 });
    // Region code and owner type come down from the owner.
    expect(unit?.regionCode).toBe('1084');
    expect(unit?.ownerType).toBe('550891000005100');
  });
});

describe('parseSorStream on the real ONE_SYGEHUS.xml sample', () => {
  it('yields the hospital tree with nested units under the right parents', async () => {
    const records = await parseFixture('samples/ONE_SYGEHUS.xml');
    expect(records.map((r) => [r.sor, r.parentSor, r.depth])).toEqual([
      ['347801000016001', null, 0],
      ['347811000016004', '347801000016001', 1],
      ['347821000016008', '347811000016004', 2],
      ['347831000016005', '347821000016008', 3],
    ]);
  });

  it('reads Danish names, SHAK codes, unit types, e-mail and website', async () => {
    const [o, hospital, dept, section] = await parseFixture('samples/ONE_SYGEHUS.xml');
    expect(o).toMatchObject({
      name: 'Roskilde Øjenklinik',
      emails: ['J.Thulesen@dadlnet.dk'],
      websites: ['www.roskildeojenklinik.dk'],
      phones: ['46361266'],
      addresses: [{ street: 'Hestetorvet 8', postalCode: '4000', district: 'Roskilde' }],
      eans: [],
      regionCode: null,
    });
    expect(hospital).toMatchObject({ unitType: '22232009', shakCode: '2529', validFrom: '2009-10-08' });
    expect(dept).toMatchObject({ name: 'Roskilde Øjenklinik, afdeling', unitType: '550811000005108', shakCode: '252901', validFrom: '2009-10-07' });
    expect(section).toMatchObject({ name: 'Roskilde Øjenklinik, beh. afsnit', unitType: '550851000005109', shakCode: '2529010', specialities: ['394594003'] });
  });
});

describe('parseSorStream input handling', () => {
  it('gives the same records whether fed whole, as a string, or in 1-byte chunks (BOM and ø split)', async () => {
    const xml = await readFile(FIXTURES + 'samples/ONE_SYGEHUS.xml', 'utf8');
    const whole = await parseFixture('samples/ONE_SYGEHUS.xml');
    expect(await parseXml(xml, 1)).toEqual(whole);
    async function* asString(): AsyncGenerator<string> {
      yield xml;
    }
    expect(await collect(parseSorStream(asString()))).toEqual(whole);
  });

  it('parses a document without a BOM too', async () => {
    const xml = sorDoc(owner('8321000016007')).slice(1);
    expect((await parseXml(xml)).map((r) => r.sor)).toEqual(['8321000016007']);
  });

  it('reports the header through onHeader', async () => {
    const headers: unknown[] = [];
    await collect(parseSorStream((async function* () { yield await readFile(FIXTURES + 'samples/ONE_PRAKSIS.xml'); })(), {
      onHeader: (h) => headers.push(h),
    }));
    expect(headers).toEqual([{ createdAt: '2010-01-26T00:00:00+01:00', snapshotDate: '2010-01-26' }]);
  });

  it('ignores unknown elements, including ones that contain a SorIdentifier', async () => {
    const inner = [
      '<HealthInstitutionEntity>',
      '<HealthInstitution>',
      '<FutureElement><SorIdentifier>999</SorIdentifier></FutureElement>',
      '<SorIdentifier>8331000016009</SorIdentifier>',
      '<EntityName>Praksis</EntityName>',
      '<LocalAttributeCollection><LocalAttribute1>x</LocalAttribute1></LocalAttributeCollection>',
      '</HealthInstitution>',
      '<SomethingNew>text</SomethingNew>',
      '</HealthInstitutionEntity>',
    ].join('\n');
    const records = await parseXml(sorDoc(owner('8321000016007', inner)));
    expect(records.map((r) => [r.sor, r.name])).toEqual([['8321000016007', 'Owner'], ['8331000016009', 'Praksis']]);
  });

  it('reads replaced-by links, closing dates and 4-digit municipality codes', async () => {
    const inner = [
      '<HealthInstitutionEntity><HealthInstitution>',
      '<SorIdentifier>8331000016009</SorIdentifier><EntityName>Lukket praksis</EntityName>',
      '<PostalAddressInformation><AddressPostal xmlns="http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/">',
      '<MunicipalityCode>0851</MunicipalityCode></AddressPostal></PostalAddressInformation>',
      '<SorStatus><FromDate>2001-01-01</FromDate><ToDate>2025-06-30</ToDate></SorStatus>',
      '<ReplacedByEntityCollection><SorIdentifier>8341000016002</SorIdentifier></ReplacedByEntityCollection>',
      '</HealthInstitution></HealthInstitutionEntity>',
    ].join('\n');
    const [, closed] = await parseXml(sorDoc(owner('8321000016007', inner)));
    expect(closed).toMatchObject({ sor: '8331000016009', validTo: '2025-06-30', replacedBy: ['8341000016002'], municipalityCode: '851' });
  });
});
