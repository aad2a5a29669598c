import { writeFile } from "node:fs/promises";
import path from "node:path";
import ipaddr from "ipaddr.js";
import { createApiClient } from "../clients/api-clients.js";
import type { Storage } from "../db/storage.js";
import { mintLearnerSession, sessionExchangePath } from "./learner-sessions.js";

/** The API client that owns the person at this computer's learner; found again by name at every start. */
const SELF_STUDY_CLIENT = "self-study on this computer";
export const SELF_STUDY_LEARNER = "local";
const SELF_STUDY_SESSION_SECONDS = 30 * 24 * 3600;

/**
 * Only a service that nobody else can reach signs a learner in by itself: on any other address
 * every learner comes from an API client, as the README's Security section says.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === "loopback";
}

/**
 * Ensures the self-study client (engine:shared: on one's own laptop the engine is one's own) and its
 * learner, then mints a session and answers the link that signs a browser in, as Jupyter prints its
 * token URL. The client's key is thrown away: nothing but this function ever acts as it. Tokens are
 * not stored, so the previous start's session cannot be shown again: it is revoked instead, and only
 * the link this start prints works (a browser already signed in signs in again with it).
 */
export async function signInSelfStudy(storage: Storage, origin: string): Promise<string> {
  const db = storage.prisma;
  const existing = await db.apiClient.findFirst({
    where: { name: SELF_STUDY_CLIENT, revokedAt: null },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  const clientId =
    existing?.id ??
    (
      await createApiClient(storage, {
        name: SELF_STUDY_CLIENT,
        scopes: ["submissions:write", "progress:read", "engine:shared"],
      })
    ).client.id;
  const session = await mintLearnerSession(storage, {
    clientId,
    learnerId: SELF_STUDY_LEARNER,
    ttlSeconds: SELF_STUDY_SESSION_SECONDS,
  });
  await db.learnerSession.updateMany({
    where: { clientId, id: { not: session.id }, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return origin + sessionExchangePath(session.token);
}

/**
 * Keeps the sign-in link where only the service's user can read it, for starts whose output is a log
 * (a service manager, a pipe, CI): a log must hold no session token. Answers the file's path.
 */
export async function writeSignInLink(dataDir: string, link: string): Promise<string> {
  const file = path.join(dataDir, "sign-in-link.txt");
  await writeFile(file, `${link}\n`, { mode: 0o600 });
  return file;
}
