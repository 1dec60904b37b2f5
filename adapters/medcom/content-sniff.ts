/** Recognises attachment content from its first bytes, to check a declared content type. */

export type SniffedContentType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'image/gif' | 'image/tiff' | 'image/bmp';

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

export function sniffContentType(bytes: Uint8Array): SniffedContentType | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // %PDF-
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) {
    return 'image/gif';
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (isBmp(bytes)) return 'image/bmp';
  return undefined;
}

/** Sizes of the BMP info headers in use (BITMAPCOREHEADER 12 ... BITMAPV5HEADER 124). */
const BMP_INFO_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/**
 * "BM" alone is two bytes and too weak a signature, so the file header must hold up too: reserved
 * bytes zero and a known info-header size right after the 14-byte file header.
 */
function isBmp(bytes: Uint8Array): boolean {
  if (bytes.length < 18 || !startsWith(bytes, [0x42, 0x4d])) return false;
  if (bytes[6] !== 0 || bytes[7] !== 0 || bytes[8] !== 0 || bytes[9] !== 0) return false;
  const infoSize = (bytes[14] ?? 0) | ((bytes[15] ?? 0) << 8) | ((bytes[16] ?? 0) << 16) | ((bytes[17] ?? 0) << 24);
  return BMP_INFO_HEADER_SIZES.has(infoSize);
}

const ALIASES: Readonly<Record<string, SniffedContentType>> = {
  'application/pdf': 'application/pdf',
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/gif': 'image/gif',
  'image/tiff': 'image/tiff',
  'image/tif': 'image/tiff',
  'image/bmp': 'image/bmp',
  'image/x-bmp': 'image/bmp',
  'image/x-ms-bmp': 'image/bmp',
};

/** The sniffable type a declared content type stands for (parameters and case ignored). */
export function normaliseContentType(declared: string): SniffedContentType | undefined {
  return ALIASES[declared.split(';')[0]?.trim().toLowerCase() ?? ''];
}

/**
 * False when the declared type is one we can recognise and the bytes are something else. Types we
 * cannot sniff (text, Word documents) are not judged.
 */
export function contentMatchesDeclaredType(declared: string, bytes: Uint8Array): boolean {
  const expected = normaliseContentType(declared);
  if (!expected) return true;
  return sniffContentType(bytes) === expected;
}

/**
 * How an attachment's bytes relate to its declared type:
 * - `match`: the bytes are what is declared;
 * - `mislabelled-image`: an image declared as another image type (vendors do this; the bytes say
 *   which it is, and it is shown as what the bytes are);
 * - `mismatch`: anything else the bytes contradict (a PDF declared as an image, unrecognisable bytes);
 * - `not-judged`: a declared type we cannot recognise from bytes.
 */
export type ContentVerdict = 'match' | 'mislabelled-image' | 'mismatch' | 'not-judged';

export function judgeContent(declared: string, bytes: Uint8Array): ContentVerdict {
  const expected = normaliseContentType(declared);
  if (!expected) return 'not-judged';
  const actual = sniffContentType(bytes);
  if (actual === expected) return 'match';
  if (actual?.startsWith('image/') && expected.startsWith('image/')) return 'mislabelled-image';
  return 'mismatch';
}
