import type { Generated } from 'kysely';

export interface TokenUseTable {
  issuer: string;
  jti: string;
  expires_at: Date;
  first_seen_at: Generated<Date>;
}
