import { z } from "zod";
import { heldScopes, type Scope, ScopeSchema } from "../clients/scopes.js";
import type { Storage } from "../db/storage.js";
import { NotFound, SessionExpired } from "../errors/domain-errors.js";
import { ensureLearner } from "../learners/learners.js";
import { generateSessionToken, hashSessionToken, isWellFormedSessionToken } from "./session-token.js";

const DEFAULT_SESSION_SECONDS = 8 * 3600;

/**
 * What a learner session can ever be granted: the course, and grading and reading its own learner.
 * Of these it gets those its client holds when it is minted, and at each use keeps only those the
 * client still holds: a session never does what its client's key may not.
 */
const SESSION_SCOPES: readonly Scope[] = ["content:read", "submissions:write", "progress:read", "engine:shared"];
const MAX_SESSION_SECONDS = 30 * 24 * 3600;

export const NewLearnerSessionSchema = z
  .strictObject({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_SESSION_SECONDS)
      .default(DEFAULT_SESSION_SECONDS)
      .describe("How long the session lasts, from 60 s to 30 days; 8 hours when left out"),
  })
  .meta({ id: "NewLearnerSession" });

export const LearnerSessionSchema = z
  .object({
    id: z.uuid().describe("Revoke it with DELETE /v1/learners/{learnerId}/sessions/{id}"),
    learnerId: z.string(),
    token: z.string().describe("Shown once. Send it as Authorization: Bearer, or open url in a browser"),
    url: z
      .string()
      .describe("Opening it in a browser sets the session cookie and lands on the course page, without the token"),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: "LearnerSession" });

export const SessionInfoSchema = z
  .object({
    sessionId: z.uuid(),
    learnerId: z.string(),
    expiresAt: z.iso.datetime(),
    sandboxes: z
      .boolean()
      .describe("Whether this server gives learners a Docker sandbox of their own (PUT /v1/learners/{id}/sandbox)"),
  })
  .meta({ id: "SessionInfo" });

/** The caller of a request made with a learner session, once its token has been checked. */
export interface AuthenticatedSession {
  id: string;
  learnerId: string;
  expiresAt: Date;
  /**
   * The API client that minted the session: the session acts as it, for this one learner, with
   * `scopes` narrowed to the session's own (its mint-time scopes that the client still holds).
   */
  client: { id: string; name: string; scopes: string[]; homePage: string | null };
}

/** Where a browser exchanges the token for the cookie; relative to the service's own origin. */
export function sessionExchangePath(token: string): string {
  return `/session?token=${token}`;
}

/**
 * Mints a session for one learner of one client, creating the learner on first contact. A plain
 * function of the database, so an LTI launch or the self-study start-up mint sessions the same way.
 */
export async function mintLearnerSession(
  { prisma: db }: Storage,
  input: { clientId: string; learnerId: string; ttlSeconds: number; now?: Date },
): Promise<{ id: string; token: string; learnerId: string; expiresAt: Date }> {
  const token = generateSessionToken();
  const expiresAt = new Date((input.now ?? new Date()).getTime() + input.ttlSeconds * 1000);
  const session = await db.$transaction(async (tx) => {
    const client = await tx.apiClient.findUniqueOrThrow({ where: { id: input.clientId }, select: { scopes: true } });
    await ensureLearner(tx, input.clientId, input.learnerId);
    return tx.learnerSession.create({
      data: {
        clientId: input.clientId,
        learnerId: input.learnerId,
        tokenHash: hashSessionToken(token),
        expiresAt,
        scopes: heldScopes(SESSION_SCOPES, client.scopes),
      },
      select: { id: true },
    });
  });
  return { id: session.id, token, learnerId: input.learnerId, expiresAt };
}

/**
 * The session a token belongs to; null when the token is unknown, malformed or revoked, or its client
 * was revoked. An expired session is its own error, so a page can say "your session has expired"
 * rather than "you are not signed in".
 */
export async function findSessionByToken(
  { prisma: db }: Storage,
  token: string,
  now = new Date(),
): Promise<AuthenticatedSession | null> {
  if (!isWellFormedSessionToken(token)) return null;
  const session = await db.learnerSession.findUnique({
    where: { tokenHash: hashSessionToken(token) },
    select: {
      id: true,
      learnerId: true,
      expiresAt: true,
      revokedAt: true,
      scopes: true,
      learner: {
        select: { client: { select: { id: true, name: true, scopes: true, homePage: true, revokedAt: true } } },
      },
    },
  });
  if (!session || session.revokedAt || session.learner.client.revokedAt) return null;
  if (session.expiresAt <= now) throw new SessionExpired(session.expiresAt);
  const { revokedAt: _revoked, ...client } = session.learner.client;
  const minted = session.scopes.flatMap((scope) => ScopeSchema.safeParse(scope).data ?? []);
  return {
    id: session.id,
    learnerId: session.learnerId,
    expiresAt: session.expiresAt,
    client: { ...client, scopes: heldScopes(minted, client.scopes) },
  };
}

/** A link that signs the browser in, or the reason it no longer does. */
export type OpenedLink = { session: AuthenticatedSession } | { refused: "expired" | "invalid" };

/**
 * What opening a session's link does in a browser that may already hold a session (`heldToken`, its
 * cookie): sign in; ask first, when the browser holds a live session of another learner, since a
 * page on any site can make a browser open a link (login CSRF: the learner would work, and be
 * graded, in someone else's session); or say why the link no longer works.
 */
export async function openSessionLink(storage: Storage, token: string): Promise<OpenedLink>;
export async function openSessionLink(
  storage: Storage,
  token: string,
  heldToken: string | undefined,
): Promise<OpenedLink | { askFirst: { held: AuthenticatedSession; session: AuthenticatedSession } }>;
export async function openSessionLink(storage: Storage, token: string, heldToken?: string) {
  const session = await liveSession(storage, token);
  if (session === "expired") return { refused: "expired" };
  if (!session) return { refused: "invalid" };
  const held = heldToken === undefined || heldToken === token ? null : await liveSession(storage, heldToken);
  if (held === null || held === "expired") return { session };
  // A fresh link of the same learner (of the same client) changes nobody's work.
  if (held.client.id === session.client.id && held.learnerId === session.learnerId) return { session };
  return { askFirst: { held, session } };
}

async function liveSession(storage: Storage, token: string): Promise<AuthenticatedSession | "expired" | null> {
  try {
    return await findSessionByToken(storage, token);
  } catch (error) {
    if (error instanceof SessionExpired) return "expired";
    throw error;
  }
}

/** Revokes one session of this client's learner: its token and cookie stop working at once. */
export async function revokeLearnerSession(
  { prisma: db }: Storage,
  input: { clientId: string; learnerId: string; sessionId: string },
): Promise<void> {
  const { count } = await db.learnerSession.updateMany({
    where: { id: input.sessionId, clientId: input.clientId, learnerId: input.learnerId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new NotFound(`Learner "${input.learnerId}" has no active session ${input.sessionId}.`);
}
