import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubCpr } from './logger.js';

describe('scrubCpr', () => {
  it.each([
    ['0707614285', '[cpr]'],
    ['070761-4285', '[cpr]'],
    ['child 3101057JC9 replacement', 'child [cpr] replacement'],
    ['cpr=2512489996,', 'cpr=[cpr],'],
    ['lowercase replacement 1208117kd4', 'lowercase replacement [cpr]'],
    ['mixed case 3101057Jc9.', 'mixed case [cpr].'],
  ])('removes %s', (input, expected) => expect(scrubCpr(input)).toBe(expected));

  it.each([
    ['SOR 265161000016000'],
    ['EAN 5790001348120'],
    ['ydernummer 012345'],
    ['2026-11-23T19:00:00Z'],
    ['request 4f1c2a3b-0707-6142-85aa-123456789012'],
  ])('keeps %s', (input) => expect(scrubCpr(input)).toBe(input));
});

describe('createLogger', () => {
  it('scrubs CPR numbers from messages, nested fields and errors', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString()); cb(); } });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ nested: { note: 'asked about 0707614285' }, list: ['070761-4285'] }, 'lookup for 0707614285');
    logger.error({ err: new Error('source said 0707614285 unknown') }, 'failed');
    logger.info({ cpr: '0707614285', authorization: 'Bearer abc' }, 'redacted fields');
    const text = lines.join('');
    expect(text).not.toMatch(/0707614285|070761-4285/);
    expect(text).toContain('[cpr]');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('Bearer abc');
  });

  it('scrubs at any depth, in error fields and causes, and in keys', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString()); cb(); } });
    const logger = createLogger({ level: 'info', destination });
    let deep: Record<string, unknown> = { note: 'about 1208117kd4 and 0707614285' };
    for (let i = 0; i < 30; i += 1) deep = { level: deep };
    const dbError = Object.assign(new Error('duplicate key'), { code: '23505', detail: 'Key (patient_cpr)=(0707614285) already exists.' });
    const wrapped = new Error('insert failed', { cause: new Error('source said 0707614285') });
    const circular: Record<string, unknown> = { cpr_of: '0707614285' };
    circular['self'] = circular;
    logger.info({ deep, err: dbError, other: { failure: wrapped }, circular, ['0707614285']: 'as a key' }, 'deep');
    const text = lines.join('');
    expect(text).not.toMatch(/0707614285|1208117kd4/i);
    expect(text).toContain('23505');
    expect(text).toContain('[circular]');
    expect(text.match(/\[cpr\]/g)?.length).toBeGreaterThanOrEqual(5);
  });
});
