/** A fresh audit checkpoint signing key for a benchmark's production-mode broker (production requires one). */
import { exportJWK, generateKeyPair } from 'jose';

export async function benchAuditSigningKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'bench-audit' });
}
