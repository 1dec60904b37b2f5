import { describe, expect, it } from 'vitest';
import { redactSourceLocation } from './source-location.js';

describe('redactSourceLocation', () => {
  it.each([
    ['https://sor.example.dk/export/sor.xml', 'https://sor.example.dk/export/sor.xml'],
    ['https://importer:s3cret@sor.example.dk/export/sor.xml', 'https://sor.example.dk/export/sor.xml'],
    ['https://importer@sor.example.dk:8443/sor.xml', 'https://sor.example.dk:8443/sor.xml'],
    ['https://sor.example.dk/sor.xml?token=abc&x=1', 'https://sor.example.dk/sor.xml'],
    ['https://u:p@sor.example.dk/sor.xml?sig=abc#frag', 'https://sor.example.dk/sor.xml'],
    ['HTTP://U:P@SOR.EXAMPLE.DK/Sor.xml', 'http://sor.example.dk/Sor.xml'],
    ['https://us%40er:p%3Aw@sor.example.dk/a', 'https://sor.example.dk/a'],
    ['ftp://user:pw@files.example.dk/sor.xml', 'ftp://files.example.dk/sor.xml'],
    ['https://user:pw@[not-a-host/sor.xml?token=1', 'https://[not-a-host/sor.xml'],
    ['north-jutland.xml (demo)', 'north-jutland.xml (demo)'],
    ['Sor_20261201.xml', 'Sor_20261201.xml'],
  ])('%s -> %s', (source, shown) => {
    expect(redactSourceLocation(source)).toBe(shown);
  });
});
