import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Storage } from "../db/storage.js";
import { isRefusedAtRegistration } from "../delivery/outbound.js";
import { DestinationRefused, NotFound } from "../errors/domain-errors.js";
import type { PageQuery } from "../schemas/page.js";
import { learnerIdPrefixOf } from "./launch.js";

const HttpsUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const NewLtiPlatformSchema = z
  .strictObject({
    apiClientId: z.uuid().describe("The API client whose learners and grades this platform's launches become"),
    issuer: HttpsUrl.describe("The platform's iss, e.g. https://moodle.example"),
    clientId: z.string().min(1).max(255).describe("The client_id the platform gave this tool"),
    deploymentIds: z.array(z.string().min(1).max(255)).min(1).max(50).describe("Accepted lti_deployment_id values"),
    authUrl: HttpsUrl.describe("The platform's OIDC authorization endpoint"),
    tokenUrl: HttpsUrl.describe("The platform's OAuth 2 token endpoint (client credentials, for AGS)"),
    jwksUrl: HttpsUrl.describe("The platform's public keyset"),
    serviceOrigins: z
      .array(z.url({ protocol: /^https?$/ }).max(2000))
      .max(10)
      .default([])
      .describe(
        "Origins of the platform's services (AGS line items) besides those of its issuer and endpoints, e.g. a Canvas school's https://school.instructure.com: an id_token's line item elsewhere is refused",
      ),
  })
  .meta({ id: "NewLtiPlatform" });

export const LtiPlatformSchema = NewLtiPlatformSchema.extend({
  id: z.uuid(),
  learnerIdPrefix: z
    .string()
    .describe(
      "What the learner ids of this platform's users start with: a user's first launch makes them learner <learnerIdPrefix><sub> (or <learnerIdPrefix>sha256:<hex of sub> when the sub has characters a learner id cannot hold), so one sub at two platforms is two learners. A user whose first launch came before this rule keeps the id it gave them (their sub), unless two platforms of the client shared it",
    ),
  createdAt: z.iso.datetime(),
}).meta({ id: "LtiPlatform" });
type LtiPlatformView = z.infer<typeof LtiPlatformSchema>;

type PlatformRow = {
  id: string;
  clientId: string;
  issuer: string;
  platformClientId: string;
  deploymentIds: string[];
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  serviceOrigins: string[];
  createdAt: Date;
};

function toPlatformView(row: PlatformRow): LtiPlatformView {
  return {
    id: row.id,
    apiClientId: row.clientId,
    issuer: row.issuer,
    clientId: row.platformClientId,
    deploymentIds: row.deploymentIds,
    authUrl: row.authUrl,
    tokenUrl: row.tokenUrl,
    jwksUrl: row.jwksUrl,
    serviceOrigins: row.serviceOrigins,
    learnerIdPrefix: learnerIdPrefixOf(row),
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The tool fetches the JWKS and token URLs itself, and sends learners' browsers to the auth URL: none
 * may point inward (what is known without DNS; delivery checks the resolved address again).
 */
export async function registerPlatform(
  { prisma: db }: Storage,
  input: z.infer<typeof NewLtiPlatformSchema>,
  options: { allowPrivateUrls: boolean },
) {
  for (const field of ["jwksUrl", "tokenUrl", "authUrl"] as const) {
    if (isRefusedAtRegistration(input[field], options.allowPrivateUrls)) {
      throw new DestinationRefused(`body.${field}`, "must not point at localhost or a special-purpose address");
    }
  }
  const client = await db.apiClient.findFirst({
    where: { id: input.apiClientId, revokedAt: null },
    select: { id: true },
  });
  if (!client) throw new DestinationRefused("body.apiClientId", "is not an active API client");
  const taken = await db.ltiPlatform.findUnique({
    where: { issuer_platformClientId: { issuer: input.issuer, platformClientId: input.clientId } },
  });
  if (taken) throw new DestinationRefused("body.clientId", "this issuer and client_id are already registered");
  const row = await db.ltiPlatform.create({
    data: {
      clientId: input.apiClientId,
      issuer: input.issuer,
      platformClientId: input.clientId,
      deploymentIds: [...new Set(input.deploymentIds)],
      authUrl: input.authUrl,
      tokenUrl: input.tokenUrl,
      jwksUrl: input.jwksUrl,
      serviceOrigins: [...new Set(input.serviceOrigins.map((origin) => new URL(origin).origin))],
    },
  });
  return toPlatformView(row);
}

export async function listPlatforms({ prisma: db }: Storage, page: PageQuery) {
  const { where, ...order } = keysetArgs("createdAt", "asc", page);
  const rows = await db.ltiPlatform.findMany({ where, ...order });
  return toPage(rows, page, (row) => row.createdAt, toPlatformView);
}

export async function deletePlatform({ prisma: db }: Storage, id: string): Promise<void> {
  const { count } = await db.ltiPlatform.deleteMany({ where: { id } });
  if (count === 0) throw new NotFound(`There is no LTI platform ${id}.`);
}
