import crypto from 'node:crypto';

/**
 * Invitation link tokens: 256 bits derived from the server secret and a random
 * per-invitation salt, so the worker can render the same links again after a
 * crash, while the database holds only the salt and the token's hash (a copy
 * of the database alone reveals no working link).
 */
export const newTokenSalt = (): string => crypto.randomBytes(16).toString('base64url');

export const invitationToken = (secret: string, salt: string): string =>
  crypto.createHmac('sha256', secret).update(`invitation:${salt}`).digest('base64url');

export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');
