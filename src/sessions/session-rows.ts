/** Rows of the raw SQL reads, mapped to what sessions and rotation work with. */

/** The owner's standing that access tokens are signed with. */
export interface SessionOwnerRow {
  id: string;
  username: string;
  roles: string[];
  tokenVersion: number;
  emailVerified: boolean;
}

export function toOwner(
  id: string,
  row: Record<string, unknown>,
): SessionOwnerRow {
  return {
    id,
    username: row.username as string,
    roles: parseTextArray(row.roles),
    tokenVersion: Number(row.token_version),
    emailVerified: row.email_verified === true || row.email_verified === 't',
  };
}

/** node-postgres parses text[] into arrays; raw rows from PGlite may carry the '{a,b}' literal. */
export function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value as string[];
  if (typeof value === 'string')
    return value
      .replace(/^\{|\}$/g, '')
      .split(',')
      .filter(Boolean);
  return [];
}
