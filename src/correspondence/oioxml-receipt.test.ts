import { describe, expect, it } from 'vitest';
import { checkXctl03Receipt, receiptLetterReference } from './oioxml-receipt.js';

// We (5790009100034) sent letter B0001 to 5790001382445.
const SENT = { organisationEan: '5790009100034', counterpartEan: '5790001382445' };
const GOOD = { senderEan: '5790001382445', receiverEan: '5790009100034', originalEnvelopeId: 'K0001', originalLetterId: 'B0001', originalSenderEan: '5790009100034', originalReceiverEan: '5790001382445' };

describe('checkXctl03Receipt', () => {
  it.each([
    ['a receipt from the receiver to us, naming our letter', GOOD, { ok: true }],
    ['without the optional receiver fields', { senderEan: GOOD.senderEan, originalLetterId: 'B0001', originalSenderEan: GOOD.originalSenderEan }, { ok: true }],
    ['no original letter id', { ...GOOD, originalLetterId: undefined }, { ok: false, because: 'letter-unnamed' }],
    ['no original sender', { ...GOOD, originalSenderEan: undefined }, { ok: false, because: 'letter-unnamed' }],
    ['no sender', { ...GOOD, senderEan: undefined }, { ok: false, because: 'sender-unidentified' }],
    ['from a third party', { ...GOOD, senderEan: '5790000121441' }, { ok: false, because: 'sender-not-receiver' }],
    ['from us to ourselves', { ...GOOD, senderEan: SENT.organisationEan }, { ok: false, because: 'sender-not-receiver' }],
    ['addressed to someone else', { ...GOOD, receiverEan: '5790000121441' }, { ok: false, because: 'not-addressed-to-sender' }],
    ['naming another original receiver', { ...GOOD, originalReceiverEan: '5790000121441' }, { ok: false, because: 'original-receiver-differs' }],
  ])('%s', (_what, receipt, expected) => {
    const defined = Object.fromEntries(Object.entries(receipt).filter(([, v]) => v !== undefined));
    expect(checkXctl03Receipt(defined, SENT)).toEqual(expected);
  });

  it.each([
    [GOOD, '5790009100034#B0001'],
    [{ originalLetterId: 'B0001' }, undefined],
    [{ originalSenderEan: '5790009100034' }, undefined],
  ])('names the letter %j as %s', (receipt, expected) => {
    expect(receiptLetterReference(receipt)).toBe(expected);
  });
});
