import { createHash, randomBytes } from "node:crypto";

/** Prefix that makes our keys recognisable to people and to secret scanners. */
export const API_KEY_PREFIX = "adk_";

const KEY_PATTERN = /^adk_[A-Za-z0-9_-]{43}$/;

/** A new key: 32 random bytes (256 bits), base64url, prefixed. Shown once, never stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * What we store and look keys up by. SHA-256 rather than bcrypt/scrypt/argon2 on purpose:
 * slow hashes protect low-entropy passwords from guessing, but a 256-bit random key cannot be
 * guessed however fast the hash is, and a fast deterministic hash lets every request find its
 * client with one indexed lookup instead of a slow comparison against each stored hash.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Cheap shape check, so malformed tokens never reach the database. */
export function isWellFormedApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}
