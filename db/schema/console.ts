import type { Timestamp } from './directory.js';

/** A signed-in console user: the Caller its ID token became, and the session's clocks. */
export interface ConsoleSessionTable {
  id_hash: string;
  csrf_token: string;
  issuer: string;
  subject: string;
  token_id: string;
  organisation_sor: string;
  role: string;
  assurance: string;
  purpose_of_use: string;
  display_name: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

/** A sign-in between the redirect to the identity provider and its callback. */
export interface ConsoleLoginTable {
  state: string;
  browser_hash: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  created_at: Timestamp;
}
