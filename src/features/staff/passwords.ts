// Admin passwords: argon2id (memory-hard) with the OWASP baseline parameters, via a prebuilt napi binding
// that needs no install script.
import { hash, verify } from '@node-rs/argon2';
import { randomSecret } from '../../domain/secrets.js';

const PARAMETERS = { algorithm: 2 /* Argon2id (a const enum in the typings) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMETERS);
}

// Verified against when the username is unknown, so both cases take the same time.
let decoy: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    decoy ??= hashPassword(randomSecret());
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A password for the first admin when none was configured: 24 URL-safe characters (144 bits). */
export function generatePassword(): string {
  return randomSecret(18);
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if (password.length > 1024) return 'The password is too long.';
  return undefined;
}
