/** NDJSON export: one audit record (or one FHIR resource) per line. */
export function ndjsonLine(value: unknown): string {
  // JSON.stringify escapes newlines and control characters, so a value is always one line.
  return `${JSON.stringify(value)}\n`;
}
