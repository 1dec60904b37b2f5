import { describe, expect, it } from 'vitest';
import { contentMatchesDeclaredType, judgeContent, sniffContentType } from './content-sniff.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array([...b, 0, 0, 0, 0]);
/** A BMP file header with the given info-header size. */
const bmp = (infoSize: number): Uint8Array => new Uint8Array([0x42, 0x4d, 0x36, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, infoSize, 0, 0, 0, 1, 0]);

describe('sniffContentType', () => {
  it.each([
    ['application/pdf', bytes(0x25, 0x50, 0x44, 0x46, 0x2d, 0x31)],
    ['image/png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
    ['image/jpeg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['image/gif', bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61)],
    ['image/tiff', bytes(0x49, 0x49, 0x2a, 0x00)],
    ['image/tiff', bytes(0x4d, 0x4d, 0x00, 0x2a)],
    ['image/bmp', bmp(40)],
    ['image/bmp', bmp(12)],
    ['image/bmp', bmp(124)],
  ])('recognises %s', (type, data) => {
    expect(sniffContentType(data)).toBe(type);
  });

  it('recognises nothing in text or empty input', () => {
    expect(sniffContentType(new TextEncoder().encode('hello'))).toBeUndefined();
    expect(sniffContentType(new Uint8Array())).toBeUndefined();
    expect(sniffContentType(bytes(0x25, 0x50, 0x44, 0x46))).toBeUndefined(); // %PDF without the dash
    // "BM" is only two bytes: text that starts so is not a bitmap.
    expect(sniffContentType(new TextEncoder().encode('BM is a text that begins like a bitmap'))).toBeUndefined();
    expect(sniffContentType(bmp(41))).toBeUndefined();
  });
});

describe('contentMatchesDeclaredType', () => {
  const pdf = bytes(0x25, 0x50, 0x44, 0x46, 0x2d);
  it('matches aliases and ignores parameters', () => {
    expect(contentMatchesDeclaredType('application/pdf; name=x', pdf)).toBe(true);
    expect(contentMatchesDeclaredType('image/jpg', bytes(0xff, 0xd8, 0xff))).toBe(true);
  });
  it('flags a mismatch', () => {
    expect(contentMatchesDeclaredType('image/png', pdf)).toBe(false);
    expect(contentMatchesDeclaredType('application/pdf', new TextEncoder().encode('<html>'))).toBe(false);
  });
  it('does not judge types it cannot sniff', () => {
    expect(contentMatchesDeclaredType('text/plain', pdf)).toBe(true);
  });
});

describe('judgeContent', () => {
  const pdf = bytes(0x25, 0x50, 0x44, 0x46, 0x2d);
  const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0);
  it.each([
    // declared, bytes, verdict
    ['application/pdf', pdf, 'match'],
    ['image/bmp', bmp(40), 'match'],
    ['image/x-ms-bmp', bmp(40), 'match'],
    ['image/tiff', bytes(0x49, 0x49, 0x2a, 0x00), 'match'],
    ['image/png', jpeg, 'mislabelled-image'], // MedCom's own S-B example: a JPEG declared as PNG
    ['image/jpeg', pdf, 'mismatch'],
    ['application/pdf', jpeg, 'mismatch'],
    ['image/png', new TextEncoder().encode('<svg>'), 'mismatch'],
    ['text/plain', pdf, 'not-judged'],
  ] as const)('%s over %s bytes -> %s', (declared, data, verdict) => {
    expect(judgeContent(declared, data)).toBe(verdict);
  });
});
