import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";
import { open, seal } from "../crypto/secret-box.js";
import type { Storage } from "../db/storage.js";
import { DestinationRefused } from "../errors/domain-errors.js";
import { isRecord } from "../schemas/guards.js";

/** A stored key as jose reads it: an object with a key type; jose checks the rest when it imports the key. */
const JwkSchema = z.custom<JWK>((value) => isRecord(value) && typeof value.kty === "string", "not a JWK");

/** LTI 1.3 (Security Framework §6) signs with RS256; platforms need not accept anything else. */
export const TOOL_ALG = "RS256";

/** Every public key the tool has signed with, newest first: platforms may still hold a token of an older one. */
export async function toolJwks({ prisma: db }: Storage): Promise<{ keys: JWK[] }> {
  const rows = await db.ltiToolKey.findMany({ orderBy: { createdAt: "desc" } });
  return { keys: rows.map((row) => JwkSchema.parse(row.publicJwk)) };
}

/** Makes a new key the one that signs from now on; older ones stay published (see toolJwks). */
export async function rotateToolKey({ prisma: db }: Storage, secretsKey: Buffer | undefined): Promise<{ kid: string }> {
  if (!secretsKey)
    throw new DestinationRefused("config.SECRETS_KEY", "is unset, so the tool's private key cannot be stored");
  const { publicKey, privateKey } = await generateKeyPair(TOOL_ALG, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOOL_ALG, use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TOOL_ALG };
  await db.ltiToolKey.create({
    data: { kid, publicJwk, privateJwkEncrypted: seal(secretsKey, JSON.stringify(privateJwk)) },
  });
  return { kid };
}

/** The newest key, made on first use: what the tool signs deep-linking responses and token requests with. */
export async function currentSigningKey(storage: Storage, secretsKey: Buffer | undefined) {
  const db = storage.prisma;
  let row = await db.ltiToolKey.findFirst({ orderBy: { createdAt: "desc" } });
  if (!row) {
    await rotateToolKey(storage, secretsKey);
    row = await db.ltiToolKey.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
  }
  if (!secretsKey) throw new Error("SECRETS_KEY is unset: the tool's private key cannot be opened");
  const jwk = JwkSchema.parse(JSON.parse(open(secretsKey, row.privateJwkEncrypted)));
  return { kid: row.kid, key: await importJWK(jwk, TOOL_ALG) };
}
