import { randomBytes } from "node:crypto";
import { hashApiKey } from "../clients/api-key.js";

/** Prefix that tells a session token from an API key (adk_) at a glance, for people and for the auth hook. */
export const SESSION_TOKEN_PREFIX = "ads_";

const TOKEN_PATTERN = /^ads_[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url, prefixed: as unguessable as an API key. Shown once, never stored. */
export function generateSessionToken(): string {
  return SESSION_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The same fast SHA-256 as API keys, for the same reason: a 256-bit random token cannot be guessed. */
export const hashSessionToken = hashApiKey;

export function isWellFormedSessionToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
