import { z } from '@hono/zod-openapi';
import { CARE_COMMUNICATION_CATEGORIES, PRIORITY_CODES } from '../../adapters/medcom/index.js';
import { cprSchema, replacementCprSchema, sorCodeSchema, storedPersonIdentifierSchema } from '../http/schemas.js';

export const sendBody = z
  .object({
    kind: z.enum(['new', 'reply', 'forward']).default('new'),
    previousMessageId: z.uuid().optional().openapi({ description: 'our id of the message replied to or forwarded' }),
    receiverSor: sorCodeSchema.optional().openapi({ description: 'required for new and forward; a reply goes to the previous sender' }),
    patient: z
      .object({ cpr: cprSchema.optional(), replacementCpr: replacementCprSchema.optional(), given: z.array(z.string().min(1).max(100)).min(1).max(5), family: z.string().min(1).max(100) })
      .refine((p) => Boolean(p.cpr) !== Boolean(p.replacementCpr), { message: 'give exactly one of cpr and replacementCpr' })
      .optional(),
    category: z.enum(CARE_COMMUNICATION_CATEGORIES),
    topic: z.string().min(1).max(60).optional(),
    priority: z.enum(PRIORITY_CODES).optional(),
    text: z.string().min(1).max(100_000),
    attachments: z
      .array(z.object({ contentType: z.string().min(3).max(100), title: z.string().min(1).max(200), data: z.string().min(4).openapi({ description: 'base64' }) }))
      .max(10)
      .optional(),
    recipient: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('practitioner'), given: z.array(z.string().min(1)).min(1), family: z.string().min(1), role: z.string().optional() }),
        z.object({ kind: z.literal('care-team'), name: z.string().min(1).max(200) }),
      ])
      .optional(),
    author: z.object({
      given: z.array(z.string().min(1).max(100)).min(1).max(5),
      family: z.string().min(1).max(100),
      role: z.string().min(2).max(60).openapi({ example: 'laege' }),
      phone: z.string().regex(/^\+?[\d ]{6,20}$/),
    }),
  })
  .openapi('CorrespondenceSend');

export const sendResult = z
  .object({ id: z.string(), status: z.literal('queued'), bundleId: z.string(), messageHeaderId: z.string(), threadKey: z.string() })
  .openapi('CorrespondenceSendResult');

export const searchBody = z
  .object({
    direction: z.enum(['in', 'out']).optional(),
    patientCpr: storedPersonIdentifierSchema.optional().openapi({ description: 'the child (in the body, never in the URL)' }),
    counterpartSor: sorCodeSchema.optional(),
    category: z.enum(CARE_COMMUNICATION_CATEGORIES).optional(),
    status: z.enum(['queued', 'sent', 'acknowledged', 'rejected', 'failed', 'received']).optional(),
    unread: z.boolean().optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .openapi('CorrespondenceSearch');

const summaryFields = {
  id: z.string(),
  direction: z.enum(['in', 'out']),
  kind: z.string(),
  status: z.string(),
  unread: z.boolean(),
  organisationSor: z.string(),
  counterpartSor: z.string(),
  counterpartEan: z.string(),
  category: z.string(),
  topic: z.string().nullable(),
  bundleId: z.string(),
  messageHeaderId: z.string(),
  threadKey: z.string(),
  inReplyTo: z.string().nullable(),
  episodeOfCareId: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  readAt: z.string().nullable(),
  acknowledgementCode: z.string().nullable(),
  resends: z.number(),
  failure: z.string().nullable(),
};
export const messageSummary = z.object(summaryFields).openapi('CorrespondenceSummary');
const party = z.object({ sor: z.string().nullable(), ean: z.string().nullable(), name: z.string().nullable() });
const person = z.object({
  kind: z.string(),
  name: z.string().optional(),
  role: z.string().optional(),
  roleDisplay: z.string().optional(),
  organizationName: z.string().optional(),
  organizationSor: z.string().optional(),
});
export const messageDetail = z
  .object({
    ...summaryFields,
    categoryDisplay: z.string().nullable(),
    sender: party,
    receiver: party,
    patient: z.object({
      cpr: z.string().nullable(),
      replacementCpr: z.string().nullable(),
      identifiers: z.array(z.object({ kind: z.string(), value: z.string(), system: z.string() })),
      given: z.array(z.string()),
      family: z.string().nullable(),
    }),
    priority: z.string().nullable(),
    recipient: person.nullable(),
    segments: z.array(
      z.object({
        identifier: z.string().nullable(),
        date: z.string().nullable(),
        author: person.nullable(),
        authorContact: z.string().nullable(),
        organization: z.object({ name: z.string().nullable(), sor: z.string().nullable() }).nullable(),
        text: z.string().nullable(),
      }),
    ),
    attachments: z.array(
      z.object({
        index: z.number(),
        identifier: z.string().nullable(),
        title: z.string().nullable(),
        contentType: z.string().nullable(),
        size: z.number().nullable(),
        hasContent: z.boolean(),
        url: z.string().nullable(),
        creation: z.string().nullable(),
        date: z.string().nullable(),
        author: person.nullable(),
        authorContact: z.string().nullable(),
      }),
    ),
    acknowledgementErrors: z.array(z.object({ code: z.string().nullable(), text: z.string().nullable() })),
    notes: z.array(z.string()),
  })
  .openapi('CorrespondenceMessage');

export const threadItem = z
  .object({ ...summaryFields, writtenAt: z.string(), repliedBy: z.array(z.string()) })
  .openapi('CorrespondenceThreadItem');
