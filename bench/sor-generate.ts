/**
 * Writes a national-scale SOR XML file for load tests of the SOR import: 5 regions with
 * hospitals nested several levels deep, 98 municipalities, ~1,700 GP practices and other
 * private practices, EAN numbers with valid check digits. Deterministic for a given seed;
 * entity specs are made lazily and written through a small buffer with synchronous writes, so
 * neither the document nor the tree is ever held in memory.
 *
 * Run: npx tsx bench/sor-generate.ts [--seed=42] [--scale=1] [--out=fixtures/generated/sor-national.xml]
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  SOR_OWNER_TYPE,
  SOR_TREE_CLOSE,
  sorCodeFromItem,
  sorTreeOpen,
  withGlnCheckDigit,
  writeSorEntity,
  type SorAddressSpec,
  type SorEanSpec,
  type SorEntitySpec,
} from '../adapters/sor/index.js';

interface Options {
  readonly seed: number;
  readonly scale: number;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const seed = Number(get('seed') ?? '42');
  const scale = Number(get('scale') ?? '1');
  if (!Number.isInteger(seed) || !(scale > 0)) throw new Error('--seed must be an integer and --scale positive');
  return { seed, scale, out: resolve(get('out') ?? 'fixtures/generated/sor-national.xml') };
}

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = [
  { code: '1081', name: 'Region Nordjylland', town: ['9000', 'Aalborg'] },
  { code: '1082', name: 'Region Midtjylland', town: ['8800', 'Viborg'] },
  { code: '1083', name: 'Region Syddanmark', town: ['7100', 'Vejle'] },
  { code: '1084', name: 'Region Hovedstaden', town: ['3400', 'Hillerød'] },
  { code: '1085', name: 'Region Sjælland', town: ['4180', 'Sorø'] },
] as const;

const STREETS = ['Algade', 'Østergade', 'Vestergade', 'Nørregade', 'Søndergade', 'Torvet', 'Skolevej', 'Kirkevej', 'Stationsvej', 'Hospitalsvej', 'Parkvej', 'Møllevej'];
const SURNAMES = ['Jensen', 'Nielsen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Jørgensen', 'Petersen', 'Madsen', 'Kristensen', 'Olsen', 'Thomsen', 'Møller'];
const GIVEN = ['Anne', 'Peter', 'Mette', 'Jens', 'Hanne', 'Søren', 'Lene', 'Thomas', 'Birgitte', 'Karsten', 'Louise', 'Morten', 'Signe', 'Rasmus', 'Camilla', 'Mads'];
const SPECIALTIES = [
  ['Børne- og Ungdomspsykiatri', '394588006'], ['Pædiatri', '394537008'], ['Psykiatri', '394587001'], ['Kirurgi', '394609007'],
  ['Intern Medicin', '419192003'], ['Kardiologi', '394579002'], ['Neurologi', '394591006'], ['Ortopædkirurgi', '394801008'],
  ['Gynækologi og Obstetrik', '394585009'], ['Oftalmologi', '394594003'], ['Anæstesiologi', '394577000'], ['Onkologi', '394592004'],
] as const;
const PRIVATE_KINDS = [
  ['Speciallægepraksis', '550671000005100'], ['Tandlægepraksis', '550681000005102'],
  ['Fysioterapiklinik', '547011000005103'], ['Kiropraktorklinik', '550641000005106'], ['Psykologisk klinik', '550711000005101'],
] as const;

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const random = rng(opts.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const scaled = (n: number): number => Math.max(1, Math.round(n * opts.scale));

  let item = 1_000_000;
  let eanSerial = 0;
  let entities = 0;
  const nextSor = (): string => {
    entities++;
    return sorCodeFromItem(++item);
  };
  const nextEan = (regionCode: string, fromDate: string): SorEanSpec => ({
    ean: withGlnCheckDigit(`579${String(++eanSerial).padStart(9, '0')}`), regionCode, fromDate,
  });
  const date = (): string => `${between(1998, 2025)}-${String(between(1, 12)).padStart(2, '0')}-01`;
  const address = (postalCode: string, district: string, municipalityCode?: string): SorAddressSpec => ({
    streetName: pick(STREETS), building: String(between(1, 120)), postalCode, district,
    ...(municipalityCode === undefined ? {} : { municipalityCode }),
  });
  const person = (): string => `${pick(GIVEN)} ${pick(SURNAMES)}`;

  // 98 municipalities: the 11 real North Jutland codes, then distinct synthetic codes.
  const njCodes = ['851', '810', '813', '860', '849', '825', '846', '773', '840', '787', '820'];
  const municipalities: { code: string; region: (typeof REGIONS)[number] }[] = njCodes.map((code) => ({ code, region: REGIONS[0] }));
  for (let code = 101; municipalities.length < 98; code += 7) {
    const c = String(code);
    if (!njCodes.includes(c)) municipalities.push({ code: c, region: REGIONS[1 + (municipalities.length % 4)] as (typeof REGIONS)[number] });
  }

  function* units(depth: number, maxDepth: number, regionCode: string, label: string, speciality: string, [pc, town]: readonly [string, string]): Generator<SorEntitySpec> {
    const count = depth === 0 ? scaled(between(30, 44)) : between(2, depth === 1 ? 7 : 3);
    for (let i = 0; i < count; i++) {
      const [name, code] = depth === 0 ? pick(SPECIALTIES) : [label, speciality];
      const fromDate = date();
      const closed = random() < 0.02;
      yield {
        level: 'organisational-unit', sor: nextSor(),
        name: depth === 0 ? `${name}, afdeling ${i + 1}` : `${name}, ${depth === 1 ? 'afsnit' : 'team'} ${i + 1}`,
        typeCode: depth === 0 ? '550851000005109' : '550811000005108',
        shak: String(between(1000000, 9999999)), specialities: [code],
        eans: random() < (depth === 0 ? 0.6 : 0.15) ? [nextEan(regionCode, fromDate)] : [],
        ...(depth < 2 ? { address: address(pc, town), phone: String(between(30000000, 99999999)) } : {}),
        fromDate, ...(closed ? { toDate: '2025-12-31' } : {}),
        ...(depth < maxDepth ? { children: units(depth + 1, maxDepth, regionCode, name, code, [pc, town]) } : {}),
      };
    }
  }

  function* owners(): Generator<SorEntitySpec> {
    for (const region of REGIONS) {
      const hospitals = between(5, 7);
      yield {
        level: 'institution-owner', sor: nextSor(), name: region.name, typeCode: SOR_OWNER_TYPE.region,
        eans: [nextEan(region.code, '2007-01-01')], address: address(region.town[0], region.town[1]), fromDate: '2007-01-01',
        children: (function* (): Generator<SorEntitySpec> {
          for (let h = 0; h < hospitals; h++) {
            const town = [String(between(1000, 9990)), `${region.name.replace('Region ', '')} by ${h + 1}`] as const;
            yield {
              level: 'health-institution', sor: nextSor(), name: `${region.name.replace('Region ', '')}s Hospital ${h + 1}`,
              typeCode: '22232009', shak: String(between(1000, 9999)), eans: [nextEan(region.code, '2010-01-01')],
              address: address(town[0], town[1]), fromDate: '2010-01-01', children: units(0, 3, region.code, '', '', town),
            };
          }
        })(),
      };
    }
    for (const m of municipalities) {
      const pc = String(between(1000, 9990));
      const town = `By ${m.code}`;
      const adr = address(pc, town, m.code);
      const institution = (name: string, typeCode: string, unitNames: readonly (readonly [string, string])[]): SorEntitySpec => ({
        level: 'health-institution', sor: nextSor(), name: `Kommune ${m.code}, ${name}`, typeCode, address: adr,
        eans: random() < 0.5 ? [nextEan(m.region.code, '2012-01-01')] : [], fromDate: '2012-01-01',
        children: (function* (): Generator<SorEntitySpec> {
          for (const [unitName, unitType] of unitNames) {
            for (let d = 0, n = scaled(between(2, 6)); d < n; d++) {
              yield {
                level: 'organisational-unit', sor: nextSor(), name: `${unitName} ${d + 1}, Kommune ${m.code}`, typeCode: unitType,
                address: address(pc, town, m.code), eans: random() < 0.3 ? [nextEan(m.region.code, '2014-01-01')] : [],
                fromDate: date(),
                children: (function* (): Generator<SorEntitySpec> {
                  for (let t = 0, k = between(0, 3); t < k; t++) {
                    yield { level: 'organisational-unit', sor: nextSor(), name: `${unitName} ${d + 1}, team ${t + 1}`, typeCode: unitType, fromDate: date() };
                  }
                })(),
              };
            }
          }
        })(),
      });
      yield {
        level: 'institution-owner', sor: nextSor(), name: `Kommune ${m.code}`, typeCode: SOR_OWNER_TYPE.municipality,
        eans: [nextEan(m.region.code, '2007-01-01')], address: adr, fromDate: '2007-01-01',
        children: [
          institution('Sundhed og Omsorg', '554041000005106', [['Sundhedsplejen', '554021000005101'], ['Hjemmesygeplejen', '550621000005101'], ['Genoptræning', '546811000005109']]),
          institution('Børn og Unge', '554041000005106', [['PPR', '556841000005105'], ['Børne- og Familieafdelingen', '550811000005108']]),
        ],
      };
    }
    const privateOwner = (kind: string, institutionType: string, withYdernummer: number | null, region: (typeof REGIONS)[number]): SorEntitySpec => {
      const doctor = person();
      const fromDate = date();
      const pc = String(between(1000, 9990));
      const eanOnOwner = random() < 0.8;
      const ean = [nextEan(region.code, fromDate)];
      return {
        level: 'institution-owner', sor: nextSor(), name: doctor, typeCode: SOR_OWNER_TYPE.private, eans: eanOnOwner ? ean : [],
        address: address(pc, `By ${pc}`), phone: String(between(30000000, 99999999)), fromDate,
        children: [{
          level: 'health-institution', sor: nextSor(), name: `${kind} ${doctor.split(' ')[1] ?? doctor} & co`, typeCode: institutionType, fromDate,
          children: [{
            level: 'organisational-unit', sor: nextSor(), name: `${kind} ${doctor}`, fromDate, eans: eanOnOwner ? [] : ean,
            ...(withYdernummer === null ? {} : { ydernummer: String(withYdernummer).padStart(6, '0'), specialities: ['408443003'] }),
          }],
        }],
      };
    };
    for (let g = 0, n = scaled(1_700); g < n; g++) yield privateOwner('Lægepraksis', '394761003', 10_000 + g * 3, REGIONS[g % 5] as (typeof REGIONS)[number]);
    for (let p = 0, n = scaled(7_500); p < n; p++) {
      const [kind, type] = PRIVATE_KINDS[p % PRIVATE_KINDS.length] as (typeof PRIVATE_KINDS)[number];
      yield privateOwner(kind, type, null, REGIONS[p % 5] as (typeof REGIONS)[number]);
    }
  }

  mkdirSync(dirname(opts.out), { recursive: true });
  const fd = openSync(opts.out, 'w');
  let buffer = '';
  let bytes = 0;
  const flush = (): void => {
    if (buffer === '') return;
    bytes += writeSync(fd, buffer);
    buffer = '';
  };
  const out = (chunk: string): void => {
    buffer += chunk;
    if (buffer.length >= 256 * 1024) flush();
  };
  const started = Date.now();
  let reported = 0;
  out(sorTreeOpen('2026-11-23T00:00:00+01:00', '2026-11-23'));
  for (const owner of owners()) {
    writeSorEntity(owner, out);
    if (entities - reported >= 10_000) {
      reported = entities;
      flush();
      process.stdout.write(`  ${entities.toLocaleString('en')} entities, ${(bytes / 1e6).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  out(SOR_TREE_CLOSE);
  flush();
  closeSync(fd);
  process.stdout.write(`wrote ${opts.out}: ${entities.toLocaleString('en')} entities, ${eanSerial.toLocaleString('en')} EAN numbers, ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${opts.seed})\n`);
}

main();
