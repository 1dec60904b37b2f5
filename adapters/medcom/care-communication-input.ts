import type { ParsedCareCommunication } from './care-communication-parse.js';
import type { CareCommunicationCategory, Priority } from './medcom-terminology.js';

export interface OrganizationInput {
  readonly sor: string;
  readonly gln: string;
  readonly name: string;
  /** MessageHeader endpoint; the SOR address MedCom's examples use when not given. */
  readonly endpoint?: string;
}

export interface PractitionerInput {
  readonly given: readonly string[];
  readonly family: string;
  /** Code from MedComCorePractitionerRoles (SKS administrative), e.g. `sygeplejerske`, `laege`. */
  readonly role: string;
  readonly roleDisplay?: string;
  readonly phone: string;
}

export interface PatientInput {
  readonly cpr?: string;
  /** Replacement CPR with the system of its issuer (defaults to the X-eCPR system). */
  readonly replacementCpr?: { readonly value: string; readonly system?: string };
  readonly family: string;
  readonly given: readonly string[];
}

export interface AttachmentInput {
  readonly contentType: string;
  readonly title: string;
  /** base64 text, or the raw bytes. */
  readonly data: string | Uint8Array;
  readonly creation?: string;
}

export type RecipientInput =
  | { readonly kind: 'practitioner'; readonly given: readonly string[]; readonly family: string; readonly role?: string }
  | { readonly kind: 'care-team'; readonly name: string };

export interface CareCommunicationInput {
  readonly kind: 'new' | 'reply' | 'forward';
  /** The message replied to or forwarded (required for reply and forward). */
  readonly previous?: ParsedCareCommunication;
  readonly sender: OrganizationInput;
  readonly receiver: OrganizationInput;
  readonly author: PractitionerInput;
  readonly patient: PatientInput;
  readonly category: CareCommunicationCategory;
  readonly topic?: string;
  readonly priority?: Priority;
  readonly text: string;
  readonly attachments?: readonly AttachmentInput[];
  readonly recipient?: RecipientInput;
  /** New UUIDs (v4, without `urn:uuid:`), injected so building is deterministic. */
  readonly ids: () => string;
  readonly clock: () => Date;
  /** Base of entry fullUrls; the IG's own examples use this one. */
  readonly fullUrlBase?: string;
}
