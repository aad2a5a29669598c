import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "aprendiendo-signature";

/**
 * `whsec_` and 32 random bytes in standard base64: the form Standard Webhooks libraries decode into
 * their HMAC key. Our own header uses the whole string as its key, so one secret serves both.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * Signs the timestamp together with the exact body bytes, so a receiver can reject both a forged
 * body and an old delivery replayed later (by checking that `t` is recent).
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/** What a receiver does; exported for our tests and for integrators to copy. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const parts = Object.fromEntries(
    header.split(",").map((part) => {
      const [name = "", value] = part.split("=", 2);
      return [name, value] as const;
    }),
  );
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || typeof parts.v1 !== "string") return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body).split("v1=")[1] ?? "", "hex");
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The Standard Webhooks headers (standardwebhooks.com), sent beside ours so that receivers can use
 * its libraries: webhook-signature is `v1,<base64 HMAC-SHA256 of "<id>.<t>.<body>">`, keyed with the
 * secret's bytes after `whsec_`. Node decodes base64 and base64url alike, so secrets issued before
 * the standard form (base64url) still sign; such a receiver swaps - and _ for + and / in its copy.
 */
export function standardWebhookHeaders(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = createHmac("sha256", key).update(`${messageId}.${timestampSeconds}.${body}`, "utf8").digest("base64");
  return { "webhook-id": messageId, "webhook-timestamp": String(timestampSeconds), "webhook-signature": `v1,${mac}` };
}
