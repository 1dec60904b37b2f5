/**
 * Checked in from MedCom's terminology IG (repository medcomdk/dk-medcom-terminology), not hand-made:
 * the CareCommunication category CodeSystem and the attachment MIME-type ValueSet the
 * CareCommunication profile binds `payload[attachment].contentAttachment.contentType` to
 * (medcomdk/dk-medcom-carecommunication, input/fsh/MedComCareCommunication.fsh, commit
 * 8fc77f4383f9a08e00e7f3a0a7f7e345666cf8bc). To update: take the new FSH files, copy the codes in
 * the same order, and change `source` (the test beside this file checks both lists against MedCom's
 * published examples).
 */

export interface TerminologySource {
  readonly repository: string;
  readonly path: string;
  readonly commit: string;
  readonly version: string;
  readonly date: string;
}

/** CodeSystem medcom-careCommunication-categoryCodes (ValueSet medcom-careCommunication-categories, same version). */
export const CATEGORY_SOURCE: TerminologySource = {
  repository: 'medcomdk/dk-medcom-terminology',
  path: 'input/fsh/MedComCareCommunicationCategories.fsh',
  commit: '829d7472a054ae6d1d90a85260a29e1693c28791',
  version: '1.9.0',
  date: '2025-10-28',
};

/** The CodeSystem is declared `caseSensitive = false`. */
export const CATEGORY_CASE_SENSITIVE = false;

export const CATEGORY_CODES = [
  'alcohol-and-drug-treatment',
  'assistive-devices',
  'carecoordination',
  'decease',
  'discharge',
  'examination-results',
  'healthcare',
  'home-care-assessment',
  'medicine',
  'nursing',
  'outpatient',
  'psychiatry-social-disability',
  'regarding-referral',
  'telemedicine',
  'training',
  'acute-ambulant',
  'extended-care-responsibility',
  'other',
] as const;

/** Display (en) and the Danish designation, as the CodeSystem gives them. */
export const CATEGORY_DISPLAY: Readonly<Record<(typeof CATEGORY_CODES)[number], { readonly en: string; readonly da: string }>> = {
  'alcohol-and-drug-treatment': { en: 'Alcohol and drug treatment', da: 'Rusmiddelbehandling' },
  'assistive-devices': { en: 'Assistive technology', da: 'Hjælpemidler' },
  carecoordination: { en: 'Care Coordination', da: 'Forløbskoordinering' },
  decease: { en: 'Decease', da: 'Dødsfald' },
  discharge: { en: 'Discharge', da: 'Udskrivelse' },
  'examination-results': { en: 'Examination Results', da: 'Undersøgelsessvar' },
  healthcare: { en: 'Healthcare', da: 'Sundhedspleje' },
  'home-care-assessment': { en: 'Home care assessment', da: 'Visitation' },
  medicine: { en: 'Medicine', da: 'Medicin' },
  nursing: { en: 'Nursing', da: 'Sygepleje' },
  outpatient: { en: 'Outpatient', da: 'Ambulant' },
  'psychiatry-social-disability': { en: 'Psychiatry, Social, Disability', da: 'Psykiatri, social, handicap' },
  'regarding-referral': { en: 'Regarding Referral', da: 'Vedr. henvisning' },
  telemedicine: { en: 'Telemedicine', da: 'Telemedicin' },
  training: { en: 'Training', da: 'Træning' },
  'acute-ambulant': { en: 'Acute ambulant', da: 'Akut ambulant' },
  'extended-care-responsibility': { en: 'Extended care responsibility', da: 'Udvidet behandlingsansvar' },
  other: { en: 'Other', da: 'Andet' },
};

/** ValueSet medcom-core-attachmentMimeTypes. */
export const ATTACHMENT_MIME_TYPES_SOURCE: TerminologySource = {
  repository: 'medcomdk/dk-medcom-terminology',
  path: 'input/fsh/MedComCareCommunicationAttachmentMimeTypes.fsh',
  commit: '3b57f3f9896d5c59147d711f62836dfd041e2dba',
  version: '1.8.1',
  date: '2024-01-18',
};

export const ATTACHMENT_MIME_TYPES = ['application/pdf', 'image/gif', 'image/jpeg', 'image/png', 'image/tiff', 'image/bmp'] as const;
