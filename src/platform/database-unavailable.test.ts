import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ProblemError } from '../http/problem.js';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const sqlState = (code: string) => Object.assign(new pg.DatabaseError('server error', 1, 'error'), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', coded('ECONNREFUSED'), true],
    ['connection reset', coded('ECONNRESET'), true],
    ['pool wait timed out', new Error('timeout exceeded when trying to connect'), true],
    ['connect timed out', new Error('Connection terminated due to connection timeout'), true],
    ['connection lost under a query', new Error('Connection terminated unexpectedly'), true],
    ['client-side query timeout', new Error('Query read timeout'), true],
    ['statement_timeout', sqlState('57014'), true],
    ['lock_timeout', sqlState('55P03'), true],
    ['idle in transaction timeout', sqlState('25P03'), true],
    ['server shutting down', sqlState('57P01'), true],
    ['connection exception class 08', sqlState('08006'), true],
    ['too many connections', sqlState('53300'), true],
    ['wrapped as a cause', new Error('outer', { cause: coded('ECONNRESET') }), true],
    ['unique violation', sqlState('23505'), false],
    ['syntax error', sqlState('42601'), false],
    ['a problem already decided', new ProblemError(409, 'conflict', 'Conflict'), false],
    ['a plain bug', new TypeError('x is undefined'), false],
    ['not an error', 'ECONNRESET', false],
  ])('%s -> %s', (_name, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });

  it('becomes a 503 with Retry-After that says nothing about the database', () => {
    const problem = databaseUnavailable(undefined, coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'));
    expect(problem.status).toBe(503);
    expect(problem.headers['Retry-After']).toMatch(/^\d+$/);
    expect(JSON.stringify(problem.toBody())).not.toMatch(/10\.0\.0\.5|5432|ECONN/);
  });
});
