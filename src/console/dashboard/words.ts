/** The dashboard's words, Danish and English, kept beside the page (same keys in both). */
import type { Lang } from '../i18n.js';

const da = {
  title: 'Overblik',
  intro: 'Tal fra revisionsloggen for din organisation og enhederne under den i SOR: jeres egne opslag og beskeder, og andres opslag og beskeder, der vedrørte jer.',
  period: 'Periode',
  days: 'Seneste {n} dage',
  show: 'Vis',
  day: 'Dag',
  reason: 'Begrundelse',
  count: 'Antal',
  showTable: 'Vis tallene som tabel',
  lookupsTitle: 'Opslag pr. dag pr. organisation',
  lookupsDesc: 'Antal opslag om børn pr. dag, opdelt på den organisation, der foretog opslaget.',
  messagesTitle: 'Beskeder pr. dag pr. organisation',
  messagesDesc: 'Afsendte og modtagne MedCom-beskeder pr. dag, opdelt på afsender (afsendte) og modtager (modtagne).',
  denialsTitle: 'Afviste kilder efter begrundelse',
  denialsDesc: 'Antal gange en kilde blev afvist i et opslag, opdelt på afvisningens begrundelse.',
  availabilityTitle: 'Kilders tilgængelighed pr. dag',
  availabilityDesc: 'Andel i procent af kaldene til hver kilde, der fik svar (fundet eller intet fundet); dage uden kald står tomme.',
  others: 'Øvrige',
  empty: 'Ingen registreringer i perioden.',
  truncated: 'Perioden har flere registreringer, end overblikket tæller; vælg en kortere periode.',
  series: 'Afvisninger',
} as const;

export type DashboardWord = keyof typeof da;

const en: Record<DashboardWord, string> = {
  title: 'Dashboard',
  intro: "Figures from the audit log for your organisation and the units below it in SOR: your own lookups and messages, and others' lookups and messages that concerned you.",
  period: 'Period',
  days: 'Last {n} days',
  show: 'Show',
  day: 'Day',
  reason: 'Reason',
  count: 'Count',
  showTable: 'Show the figures as a table',
  lookupsTitle: 'Lookups per day per organisation',
  lookupsDesc: 'Number of lookups about children per day, by the organisation that made the lookup.',
  messagesTitle: 'Messages per day per organisation',
  messagesDesc: 'MedCom messages sent and received per day, by sender (sent) and receiver (received).',
  denialsTitle: 'Denied sources by reason',
  denialsDesc: 'How often a source was denied in a lookup, by the reason for the denial.',
  availabilityTitle: 'Source availability per day',
  availabilityDesc: 'Share in per cent of the calls to each source that got an answer (found or nothing found); days without calls are left empty.',
  others: 'Others',
  empty: 'No records in the period.',
  truncated: 'The period holds more records than the dashboard counts; choose a shorter period.',
  series: 'Denials',
};

export const dashboardWords = (lang: Lang) => (key: DashboardWord, n?: number): string => (lang === 'en' ? en : da)[key].replace('{n}', String(n ?? ''));
