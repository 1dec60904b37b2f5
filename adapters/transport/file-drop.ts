import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeliveryResult, MedComTransport, OutboundEnvelope } from './transport.js';

const SAFE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Writes each VANSEnvelope to `<dir>/<envelopeId>.xml` for a VANS client that picks files up.
 * Written under a temporary name and renamed, so a reader never sees half a file.
 */
export function fileDropTransport(options: { readonly dir: string }): MedComTransport {
  return {
    kind: 'file-drop',
    async deliver(envelope: OutboundEnvelope): Promise<DeliveryResult> {
      if (!SAFE_NAME.test(envelope.envelopeId)) return { outcome: 'permanent', reason: 'envelope id is not a safe file name' };
      try {
        await mkdir(options.dir, { recursive: true });
        const target = path.join(options.dir, `${envelope.envelopeId}.xml`);
        const temporary = path.join(options.dir, `.${envelope.envelopeId}.tmp`);
        await writeFile(temporary, envelope.xml, 'utf8');
        await rename(temporary, target);
        return { outcome: 'delivered' };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'io-error';
        return { outcome: 'transient', reason: `file drop failed (${code})` };
      }
    },
  };
}
