/** SOR owner type codes (SNOMED, SOR extension) for the owner kinds the directory uses. */
export const SOR_OWNER_TYPE = {
  region: '550881000005103',
  municipality: '547211000005108',
  private: '550891000005100',
} as const;

export type SorOwnerKind = keyof typeof SOR_OWNER_TYPE;

/** The owner kind of a SOR owner type code, or null for codes outside the three known ones. */
export function ownerKindOf(ownerType: string | null): SorOwnerKind | null {
  for (const [kind, code] of Object.entries(SOR_OWNER_TYPE) as [SorOwnerKind, string][]) {
    if (code === ownerType) return kind;
  }
  return null;
}
