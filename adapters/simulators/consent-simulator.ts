import { consentResource, type ConsentResourceInput } from '../consent/consent-resource.js';
import { readBody, send, type SimulatorBehaviour } from './behaviour.js';
import { entry, searchBundle } from './fhir-resources.js';
import { startHttpSimulator, type RunningSimulator } from './http-server.js';

/**
 * The national consent service (Digitalt Samtykke) on loopback, as a FHIR R4 server answering
 * `POST /fhir/Consent/_search` (patient:identifier, status). Consents are given and withdrawn
 * through the handle (the citizen does that at the service, not through the broker); `searches`
 * counts the searches, so tests can see when the broker asked.
 */
export interface ConsentSimulator extends RunningSimulator {
  give(consent: ConsentResourceInput): void;
  /** Withdraws consent `id` at `at` (status `inactive`); false when there is none. */
  withdraw(id: string, at?: Date): boolean;
  /** Searches answered so far (counted after the answer is sent). */
  searchCount(): number;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export async function startConsentSimulator(initial: readonly ConsentResourceInput[] = [], behaviour: SimulatorBehaviour = {}): Promise<ConsentSimulator> {
  const consents = new Map<string, ConsentResourceInput>(initial.map((c) => [c.id, c]));
  let searches = 0;
  let base = '';
  const sim = await startHttpSimulator(
    async (req, res, url) => {
      if (req.method !== 'POST' || url.pathname !== '/fhir/Consent/_search') {
        return send(res, 404, FHIR_JSON, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'Unknown resource or operation' }] }));
      }
      const params = new URLSearchParams(await readBody(req));
      const cpr = params.get('patient:identifier')?.split('|').at(-1);
      if (!cpr) return send(res, 400, FHIR_JSON, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required', diagnostics: 'Missing patient:identifier' }] }));
      const statuses = new Set((params.get('status') ?? 'active').split(','));
      const matches = [...consents.values()]
        .filter((c) => c.patientCpr === cpr)
        .map(consentResource)
        .filter((r) => statuses.has(String(r['status'])))
        .map((r) => entry(base, r as { resourceType: string; id: string }, 'match'));
      send(res, 200, FHIR_JSON, JSON.stringify(searchBundle(matches, matches.length, [{ relation: 'self', url: `${base}/Consent` }])));
      // Counted once answered: a test that waits for the count knows the answer is on its way.
      searches += 1;
    },
    behaviour,
    '/fhir',
  );
  base = sim.url;
  return {
    ...sim,
    give: (c) => void consents.set(c.id, c),
    withdraw(id, at = new Date()) {
      const c = consents.get(id);
      if (!c) return false;
      consents.set(id, { ...c, withdrawnAt: at.toISOString() });
      return true;
    },
    searchCount: () => searches,
  };
}
