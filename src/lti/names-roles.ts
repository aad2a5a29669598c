import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import type { Database } from "../db/prisma.js";
import { failureReason, type OutboundPolicy, send, statusReason } from "../delivery/outbound.js";
import { requestPlatformToken, TokenRefused, type ToolSigningKey } from "../delivery/platform-token.js";
import { Prisma } from "../generated/prisma/client.js";
import type { LtiContextRosterStatus } from "../generated/prisma/enums.js";
import { isLearnerByRoles, isOnPlatform, type Launch } from "./launch.js";

/**
 * A course's roster from its platform, through LTI Names and Role Provisioning Services 2.0: read at a
 * teacher's launch and stored per platform and course (lti_context_rosters, lti_context_members), so
 * the class page and the class API list the learners who never launched without calling the
 * platform on every request. A roster that cannot be read never breaks the launch: the course then
 * records why, and the class is who launched.
 */

const NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/** Members asked for per page (the spec's `limit`): Moodle answers a whole course in one page otherwise. */
const MEMBERS_PER_PAGE = 100;
/** Pages read at most: a course of 5,000 learners, or a platform whose `next` never ends. */
export const MAX_ROSTER_PAGES = 50;
/** The whole read, token included, so a slow platform cannot hold the teacher's launch for long. */
const ROSTER_DEADLINE_MS = 20_000;

const LIS_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#";

const MemberSchema = z.object({
  user_id: z.string().min(1).max(255),
  status: z.string().optional(),
  name: z.string().max(500).optional(),
  given_name: z.string().max(250).optional(),
  family_name: z.string().max(250).optional(),
  roles: z.array(z.string()).default([]),
});

const ContainerSchema = z.object({
  context: z.object({ id: z.string() }).optional(),
  members: z.array(z.unknown()),
});

interface RosterDeps {
  db: Database;
  outbound: OutboundPolicy;
  toolKey: ToolSigningKey;
  log: FastifyBaseLogger;
}

/** Why a read stopped, in fixed words a teacher's API may read; `said` is for the service's log only. */
class RosterUnread extends Error {
  constructor(
    readonly reason: string,
    readonly said = "",
  ) {
    super(reason);
  }
}

/**
 * Reads the roster of the launch's course and stores it: its learners (isLearnerByRoles, and still
 * active), with their names when the platform gives them. Never throws for anything the platform
 * does; a failure is stored as the course's roster status, and the members of an earlier read are
 * dropped, so the class never shows a roster as current when it could not be read.
 */
export async function readRoster(
  deps: RosterDeps,
  launch: Pick<Launch, "platform" | "membershipsUrl"> & { contextId: string },
): Promise<LtiContextRosterStatus> {
  const { platform, contextId } = launch;
  const readAt = new Date();
  try {
    if (!launch.membershipsUrl) throw new RosterUnread("the launch names no roster service");
    const { members, complete } = await readMembers(deps, launch.platform, contextId, launch.membershipsUrl);
    const status: LtiContextRosterStatus = complete ? "read" : "partial";
    const learners = new Map<string, string | null>();
    for (const member of members) {
      if (member.status !== undefined && member.status !== "Active") continue;
      if (!isLearnerByRoles(member.roles.map(fullRole))) continue;
      learners.set(member.user_id, nameOf(member));
    }
    await deps.db.$transaction(async (tx) => {
      await tx.$executeRaw(recordRead(platform.id, contextId, status, null, readAt));
      await tx.ltiContextMember.deleteMany({
        where: { platformId: platform.id, contextId, sub: { notIn: [...learners.keys()] } },
      });
      // One statement for the whole roster; a member listed before keeps their place (listed_at).
      await tx.$executeRaw`
        INSERT INTO lti_context_members (platform_id, context_id, sub, name)
        SELECT ${platform.id}::uuid, ${contextId}, listed.sub, listed.name
          FROM unnest(${[...learners.keys()]}::text[], ${[...learners.values()]}::text[]) AS listed(sub, name)
        ON CONFLICT (platform_id, context_id, sub) DO UPDATE SET name = EXCLUDED.name`;
    });
    return status;
  } catch (cause) {
    const reason = cause instanceof RosterUnread ? cause.reason : failureReason(cause);
    deps.log.warn(
      {
        platform: platform.id,
        context: contextId,
        reason,
        said: cause instanceof RosterUnread ? cause.said : undefined,
      },
      "LTI roster not read",
    );
    await deps.db.$transaction([
      deps.db.$executeRaw(recordRead(platform.id, contextId, "failed", reason, readAt)),
      deps.db.ltiContextMember.deleteMany({ where: { platformId: platform.id, contextId } }),
    ]);
    return "failed";
  }
}

/**
 * The course's roster row, inserted or updated in one statement: two teachers' launches at once both
 * land (the last one's read stays), where a read-then-write upsert could fail on the other's insert.
 */
function recordRead(
  platformId: string,
  contextId: string,
  status: LtiContextRosterStatus,
  reason: string | null,
  readAt: Date,
) {
  return Prisma.sql`
    INSERT INTO lti_context_rosters (platform_id, context_id, status, reason, read_at)
    VALUES (${platformId}::uuid, ${contextId}, ${status}, ${reason}, ${readAt})
    ON CONFLICT (platform_id, context_id) DO UPDATE
      SET status = EXCLUDED.status, reason = EXCLUDED.reason, read_at = EXCLUDED.read_at`;
}

/** Every page of the membership container, following `Link: rel="next"` on the platform's own origin. */
async function readMembers(deps: RosterDeps, platform: Launch["platform"], contextId: string, firstUrl: string) {
  const deadline = Date.now() + ROSTER_DEADLINE_MS;
  const outbound = (): OutboundPolicy => {
    const left = deadline - Date.now();
    if (left <= 0) throw new RosterUnread("timed out");
    return { ...deps.outbound, timeoutMs: Math.min(deps.outbound.timeoutMs, left) };
  };
  const members: z.infer<typeof MemberSchema>[] = [];
  let token: string;
  try {
    token = (await requestPlatformToken(platform, NRPS_SCOPE, deps.toolKey, outbound())).accessToken;
  } catch (cause) {
    if (cause instanceof TokenRefused) throw new RosterUnread(cause.message, cause.said);
    throw cause;
  }
  let next: string | undefined = withPageSize(firstUrl);
  for (let page = 0; next !== undefined; page++) {
    if (page === MAX_ROSTER_PAGES) return { members, complete: false };
    // Every page, not only the first, must be the platform's: a `next` elsewhere would get its token.
    if (!isOnPlatform(next, platform)) {
      throw new RosterUnread("the roster's address is not on the registered platform's origin");
    }
    const response = await send(
      next,
      { method: "GET", headers: { accept: MEMBERSHIP_CONTAINER, authorization: `Bearer ${token}` } },
      outbound(),
    );
    if (response.status !== 200) throw new RosterUnread(statusReason(response.status), response.body.slice(0, 500));
    let container: z.infer<typeof ContainerSchema>;
    try {
      container = ContainerSchema.parse(JSON.parse(response.body));
    } catch {
      throw new RosterUnread("the platform answered something that is not a membership container");
    }
    if (container.context && container.context.id !== contextId) {
      throw new RosterUnread("the platform answered the roster of another course");
    }
    for (const entry of container.members) {
      // One member the tool cannot read (no user_id) does not hide the others.
      const member = MemberSchema.safeParse(entry);
      if (member.success) members.push(member.data);
    }
    next = nextPage(response.headers.link, next);
  }
  return { members, complete: true };
}

/** Asks for pages of MEMBERS_PER_PAGE unless the platform's URL already says how many. */
function withPageSize(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return url;
  if (!parsed.searchParams.has("limit")) parsed.searchParams.set("limit", String(MEMBERS_PER_PAGE));
  return parsed.toString();
}

/** The `rel="next"` target of a Link header (RFC 8288), resolved against the page it came with. */
function nextPage(link: string | string[] | undefined, current: string): string | undefined {
  for (const value of [link ?? []].flat()) {
    for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      const params = match[2] ?? "";
      if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) {
        return URL.parse(match[1] ?? "", current)?.toString();
      }
    }
  }
  return undefined;
}

/** LTI 1.3 allows a context role's simple name (`Learner`) for its full URI. */
function fullRole(role: string): string {
  return /^[A-Za-z]+$/.test(role) ? `${LIS_MEMBERSHIP}${role}` : role;
}

function nameOf(member: z.infer<typeof MemberSchema>): string | null {
  const name = member.name?.trim() || [member.given_name, member.family_name].filter(Boolean).join(" ").trim();
  return name || null;
}
