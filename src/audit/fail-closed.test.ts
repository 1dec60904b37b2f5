import { describe, expect, it } from 'vitest';
import { ProblemError } from '../http/problem.js';
import { GroupCommitOverloadedError } from '../platform/group-commit.js';
import { auditOrFail } from './fail-closed.js';

describe('failing closed when an audit record cannot be written', () => {
  it('answers any write failure with 503 audit-unavailable and Retry-After, telling the caller first', async () => {
    const told: unknown[] = [];
    const cause = Object.assign(new Error('relation "audit_event" does not exist'), { code: '42P01' });
    const error = await auditOrFail('the lookup', () => Promise.reject(cause), (e) => told.push(e)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status: 503, slug: 'audit-unavailable', headers: { 'Retry-After': '5' }, cause });
    expect((error as ProblemError).detail).toBe('the lookup could not be audited, so it was refused; try again shortly');
    // The database's own words stay in the log, not in the answer.
    expect((error as ProblemError).detail).not.toContain('audit_event');
    expect(told).toEqual([cause]);
  });

  it('passes a full write queue through as overloaded, which is not an audit failure', async () => {
    const overloaded = new GroupCommitOverloadedError(1);
    const told: unknown[] = [];
    await expect(auditOrFail('the lookup', () => Promise.reject(overloaded), (e) => told.push(e))).rejects.toBe(overloaded);
    expect(told).toEqual([]);
  });

  it('returns what the write returned when it succeeds', async () => {
    await expect(auditOrFail('the lookup', () => Promise.resolve('id-1'))).resolves.toBe('id-1');
  });
});
