import { describe, expect, it } from 'vitest';
import { checkAcknowledgementSender } from './acknowledgement-sender.js';

const RECEIVER = { sor: '9500041000016004', gln: '5790009100034' };

describe('checkAcknowledgementSender', () => {
  it.each([
    ['SOR code and GLN of the receiver', { sor: RECEIVER.sor, gln: RECEIVER.gln }, { ok: true }],
    ["only the receiver's SOR code", { sor: RECEIVER.sor }, { ok: true }],
    ["only the receiver's GLN", { gln: RECEIVER.gln }, { ok: true }],
    ['no identifier at all', {}, { ok: false, because: 'sender-unidentified' }],
    ['empty identifiers', { sor: '', gln: null }, { ok: false, because: 'sender-unidentified' }],
    ['another SOR code', { sor: '9520041000016004', gln: RECEIVER.gln }, { ok: false, because: 'sor-differs' }],
    ['another GLN, no SOR code', { gln: '5790009120049' }, { ok: false, because: 'gln-differs' }],
    ["the receiver's SOR code with another GLN", { sor: RECEIVER.sor, gln: '5790009120049' }, { ok: false, because: 'gln-differs' }],
    ['another SOR code and GLN', { sor: '9520041000016004', gln: '5790009120049' }, { ok: false, because: 'sor-differs' }],
  ])('%s', (_what, named, expected) => {
    expect(checkAcknowledgementSender(named, RECEIVER)).toEqual(expected);
  });
});
