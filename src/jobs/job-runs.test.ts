import { describe, expect, it } from 'vitest';
import { formatJobReport, scrubJobError } from './job-runs.js';

describe('broker jobs report', () => {
  it('lists each scheduled job with its last run, and each queue by state', () => {
    const text = formatJobReport(
      [
        { name: 'directory-sor-import', cron: '30 3 * * *', timeZone: 'Europe/Copenhagen' },
        { name: 'agreements-expire', cron: '* * * * *', timeZone: 'Europe/Copenhagen' },
      ],
      [
        {
          name: 'directory-sor-import', jobId: 'j1', status: 'failed', startedAt: new Date('2026-12-02T02:30:00Z'), finishedAt: new Date('2026-12-02T02:30:02.5Z'),
          summary: null, error: 'truncated at sor.xml:10:2', lastSucceededAt: new Date('2026-12-01T02:30:03Z'), runs: 5, failures: 1,
        },
      ],
      [{ name: 'correspondence-deliver', counts: { created: 2, failed: 1 }, lastCompletedAt: null, lastFailedAt: new Date('2026-12-02T01:00:00Z') }],
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('Scheduled jobs');
    expect(lines.find((l) => l.startsWith('agreements-expire'))).toMatch(/\* \* \* \* \* \(Europe\/Copenhagen\)\s+-\s+never run/);
    expect(lines.find((l) => l.startsWith('directory-sor-import'))).toMatch(/2026-12-02T02:30:00Z\s+failed\s+2\.5s\s+2026-12-01T02:30:03Z\s+5\s+1\s+truncated at sor\.xml/);
    expect(lines.find((l) => l.startsWith('correspondence-deliver'))).toMatch(/^correspondence-deliver\s+2\s+0\s+0\s+1\s+-\s+2026-12-02T01:00:00Z$/);
  });

  it('never keeps a CPR number in a job error', () => {
    expect(scrubJobError('source said: no patient 0209144026')).toBe('source said: no patient [cpr]');
    expect(scrubJobError('x'.repeat(2000))).toHaveLength(500);
  });
});
