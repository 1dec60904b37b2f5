import type { SimulatorBehaviour } from './behaviour.js';
import { startCaseIndexSimulator } from './case-index-simulator.js';
import { loadDemoChildren, type DemoChild } from './demo-data.js';
import { startFhirSimulator } from './fhir-simulator.js';
import type { RunningSimulator } from './http-server.js';

export type SimulatorName = 'personRegister' | 'gp' | 'psychiatry' | 'caseIndex';

export interface SimulatorsOptions {
  children?: readonly DemoChild[];
  /** Behaviour for all four, overridden per simulator below. */
  all?: SimulatorBehaviour;
  personRegister?: SimulatorBehaviour;
  gp?: SimulatorBehaviour;
  psychiatry?: SimulatorBehaviour;
  caseIndex?: SimulatorBehaviour;
}

export interface Simulators {
  /** FHIR base URLs (`.../fhir`) and the Fremsøg endpoint URL. */
  personRegisterUrl: string;
  gpUrl: string;
  psychiatryUrl: string;
  caseIndexUrl: string;
  children: readonly DemoChild[];
  /** Change one simulator's behaviour while it runs (demo: "take psychiatry down"). */
  setBehaviour(name: SimulatorName, b: SimulatorBehaviour): void;
  /** Requests one simulator has received so far. */
  requests(name: SimulatorName): number;
  close(): Promise<void>;
}

/** Starts the four source simulators on loopback, each on its own free port. */
export async function startSimulators(opts: SimulatorsOptions = {}): Promise<Simulators> {
  const children = opts.children ?? loadDemoChildren();
  const b = (own?: SimulatorBehaviour): SimulatorBehaviour => ({ ...opts.all, ...own });
  const started: RunningSimulator[] = [];
  try {
    const personRegister = await startFhirSimulator('person-register', children, b(opts.personRegister));
    started.push(personRegister);
    const gp = await startFhirSimulator('gp', children, b(opts.gp));
    started.push(gp);
    const psychiatry = await startFhirSimulator('child-psychiatry', children, b(opts.psychiatry));
    started.push(psychiatry);
    const caseIndex = await startCaseIndexSimulator(children, b(opts.caseIndex));
    started.push(caseIndex);
    const byName: Record<SimulatorName, RunningSimulator> = { personRegister, gp, psychiatry, caseIndex };
    return {
      personRegisterUrl: personRegister.url,
      gpUrl: gp.url,
      psychiatryUrl: psychiatry.url,
      caseIndexUrl: caseIndex.url,
      children,
      setBehaviour: (name, behaviour) => byName[name].setBehaviour(behaviour),
      requests: (name) => byName[name].requestCount(),
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
}

export { startFhirSimulator, type FhirSimulatorKind } from './fhir-simulator.js';
export { startCaseIndexSimulator } from './case-index-simulator.js';
export { loadDemoChildren, type DemoChild, type DemoEpisode, type DemoMunicipalCase } from './demo-data.js';
export type { FailureMode, SimulatorBehaviour } from './behaviour.js';
export type { RunningSimulator } from './http-server.js';
export { fremsoegResponseXml, soapFaultXml } from './case-index-xml.js';
export { patientResource, episodeResource, episodeEntries, searchBundle } from './fhir-resources.js';
