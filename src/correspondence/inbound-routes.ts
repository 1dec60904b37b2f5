/**
 * The MedCom gateway's door: `POST /v1/medcom/inbound` takes a VANSEnvelope or a bare Bundle
 * (FHIR JSON or XML) and answers a CareCommunication with its Acknowledgement, in the encoding it
 * came in (and in a VANSEnvelope if it came in one). Only the role medcom-gateway may post here,
 * and only from a configured gateway identity (issuer and subject).
 */
import { fhirJsonToXml, wrapInVansEnvelope } from '../../adapters/medcom/index.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { requireRole } from '../http/middleware.js';
import { createRouter } from '../http/router.js';
import type { CorrespondenceContext } from './context.js';
import { requireGatewayIdentity } from './gateway-identity.js';
import { receiveInbound } from './receive.js';

export function medcomInboundRoutes(deps: { readonly ctx: CorrespondenceContext; readonly audit: AuditWriter }) {
  const router = createRouter();
  router.use('*', requireRole('medcom-gateway'));
  router.use('*', requireGatewayIdentity(deps.ctx.config.gatewayIdentities, deps.ctx.logger));
  router.post('/inbound', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const receipt = await receiveInbound(deps, c.get('caller'), body, c.get('requestId'));
    deps.ctx.observeMessage({ direction: 'inbound', kind: receipt.type, ackCode: receipt.code });
    if (receipt.type === 'acknowledgement') {
      return c.json({ messageId: receipt.messageId, code: receipt.code, status: receipt.status }, 200);
    }
    const headers = { 'X-MedCom-Acknowledgement': receipt.code, 'X-MedCom-Outcome': receipt.outcome };
    // An OIOXML letter is answered in OIOXML: its XCTL03 receipt.
    if (receipt.oioxmlReceipt) return c.body(new Uint8Array(receipt.oioxmlReceipt), 200, { ...headers, 'Content-Type': 'application/xml; charset=iso-8859-1' });
    if (receipt.envelope) {
      const xml = wrapInVansEnvelope({
        bundle: receipt.acknowledgement,
        encoding: receipt.encoding,
        documentName: `MCM:FCTL#${receipt.code}`,
        senderEan: receipt.envelope.ourEan,
        receiverEan: receipt.envelope.theirEan,
        envelopeId: String(receipt.acknowledgement['id']),
        clock: deps.ctx.clock,
      });
      return c.body(xml, 200, { ...headers, 'Content-Type': 'application/xml; charset=utf-8' });
    }
    if (receipt.encoding === 'xml') {
      return c.body(fhirJsonToXml(receipt.acknowledgement), 200, { ...headers, 'Content-Type': 'application/fhir+xml; charset=utf-8' });
    }
    return c.body(JSON.stringify(receipt.acknowledgement), 200, { ...headers, 'Content-Type': 'application/fhir+json; charset=utf-8' });
  });

  router.openAPIRegistry.registerPath({
    method: 'post',
    path: '/inbound',
    tags: ['correspondence'],
    summary: 'Inbound MedCom messages from the gateway (VANSEnvelope or Bundle, FHIR JSON or XML)',
    description:
      'A CareCommunication is answered with a MedCom Acknowledgement (ok, fatal-error with an OperationOutcome) in the request encoding, ' +
      'wrapped in a VANSEnvelope when the request was one; duplicates get the original acknowledgement. An Acknowledgement updates the message it answers. ' +
      'An OIOXML XDIS91 letter (bare or in a VANSEnvelope) is converted to a CareCommunication, received the same way and answered with an XCTL03 positive receipt (422 oioxml-rejected when it cannot be accepted); ' +
      'An XCTL03 positive receipt settles the XDIS91 letter it names as an Acknowledgement ok would (422 unknown-message when it names no letter sent to its sender); ' +
      'other legacy OIOXML is refused (422 legacy-oioxml-refused); XML with a DTD or entities is refused (400 xml-refused). ' +
      'Role medcom-gateway from a configured gateway identity (MEDCOM_GATEWAY_IDENTITIES: issuer and subject) only; anyone else 403 gateway-identity-refused. ' +
      "An acknowledgement whose sender is not the answered message's receiver changes nothing (422 unknown-message).",
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/fhir+json': { schema: { type: 'object' } }, 'application/fhir+xml': { schema: { type: 'string' } }, 'application/xml': { schema: { type: 'string' } } }, required: true } },
    responses: {
      200: { description: 'the Acknowledgement (or, for a received Acknowledgement, the updated status)' },
      400: { description: 'not a MedCom message, or refused XML (problem+json)' },
      403: { description: 'not the medcom-gateway role, or not a configured gateway identity (problem+json)' },
      422: { description: 'legacy OIOXML, unaddressable message, or an acknowledgement for an unknown message (problem+json)' },
    },
  });
  return router;
}
