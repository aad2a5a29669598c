import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Storage } from "../db/storage.js";
import { LabEngineTaken, LabRefused, NotFound } from "../errors/domain-errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import { LabEngineOrigin } from "../generated/prisma/enums.js";
import type { Page, PageQuery } from "../schemas/page.js";
import { canonicalEngineUrl, isAllowedCanonicalUrl, isNormalSocketPath } from "./engine-url.js";

/** How an engine URL is written in a request; what it names is decided by canonicalEngineUrl. */
export const EngineUrlSchema = z
  .string()
  .max(500)
  .regex(/^(unix:\/\/\/.+|tcp:\/\/.+)$/, "expected unix:///path/to/docker.sock or tcp://host:port")
  .refine((url) => !url.startsWith("tcp://") || URL.canParse(url.replace(/^tcp:/, "http:")), {
    message: "expected tcp://host:port with a port of 1–65535",
  })
  .refine(
    (url) => !url.startsWith("unix://") || isNormalSocketPath(url.slice("unix://".length)),
    "expected a normalized socket path: no `.` or `..` segments, no `//`, no percent-encoding",
  );

export const NewLabEngineSchema = z
  .strictObject({
    clientId: z.uuid().describe("The API client the engine belongs to, and only it"),
    engineUrl: EngineUrlSchema.describe(
      "The engine's address; must match LAB_ENGINE_ALLOWLIST once symlinks are resolved. Stored in its canonical form",
    ),
  })
  .meta({ id: "NewLabEngine" });

export const LabEngineSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    engineUrl: z.string().describe("Canonical: a unix socket's real path, a tcp host in lower case"),
    origin: z
      .enum(LabEngineOrigin)
      .describe("admin: registered through POST /v1/lab-engines; service: made by the service for a learner"),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "LabEngine" });
type LabEngine = z.infer<typeof LabEngineSchema>;

type LabEngineRow = { id: string; clientId: string; engineUrl: string; origin: LabEngineOrigin; createdAt: Date };

function toView(row: LabEngineRow): LabEngine {
  return {
    id: row.id,
    clientId: row.clientId,
    engineUrl: row.engineUrl,
    origin: row.origin,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The canonical form of an engine URL a request names (`field`), refused unless it stays within
 * LAB_ENGINE_ALLOWLIST after symlinks are resolved: a link under an allowed folder to a socket
 * elsewhere (the shared engine's, say) names that socket, not the link.
 */
export async function allowedEngineUrl(url: string, allowlist: readonly string[], field: string): Promise<string> {
  const canonical = await canonicalEngineUrl(url).catch((error: NodeJS.ErrnoException) => {
    throw new LabRefused(
      `the socket path ${JSON.stringify(url)} cannot be resolved (${error.code ?? "error"}).`,
      field,
    );
  });
  if (!(await isAllowedCanonicalUrl(canonical, allowlist))) {
    const resolved = canonical === url ? "" : ` (it resolves to ${canonical})`;
    throw new LabRefused(
      `the engine URL ${JSON.stringify(url)}${resolved} is not in this server's LAB_ENGINE_ALLOWLIST` +
        (allowlist.length === 0 ? " (which is empty: labs are disabled)." : "."),
      field,
    );
  }
  return canonical;
}

/**
 * An admin gives an API client an engine: only that client can bind its learners to it. An engine
 * another client holds is refused (409), however its address is spelled: the canonical address is
 * unique in the database, so two registrations racing cannot both win.
 */
export async function registerLabEngine(
  { prisma: db }: Storage,
  allowlist: readonly string[],
  input: z.infer<typeof NewLabEngineSchema>,
): Promise<LabEngine> {
  const engineUrl = await allowedEngineUrl(input.engineUrl, allowlist, "body.engineUrl");
  const client = await db.apiClient.findUnique({ where: { id: input.clientId }, select: { revokedAt: true } });
  if (!client || client.revokedAt) throw new NotFound(`There is no API client ${input.clientId}.`);
  return db.$transaction((tx) => claimEngine(tx, { clientId: input.clientId, engineUrl, origin: "admin" }));
}

/**
 * Inserts the engine for this client; the unique canonical address decides a race. The same client
 * claiming its own engine again gets it back, so a retry is harmless.
 */
export async function claimEngine(
  tx: Prisma.TransactionClient,
  engine: { clientId: string; engineUrl: string; origin: LabEngineOrigin },
): Promise<LabEngine> {
  await tx.labEngine.createMany({ data: [engine], skipDuplicates: true });
  const row = await tx.labEngine.findUniqueOrThrow({ where: { engineUrl: engine.engineUrl } });
  if (row.clientId !== engine.clientId) {
    throw new LabEngineTaken(
      `The engine ${engine.engineUrl} is registered to another API client (${row.clientId}): an engine belongs to one client.`,
    );
  }
  return toView(row);
}

/** The engines registered to this client, oldest first: the ids its learners' labs can name. */
export async function listLabEngines(
  { prisma: db }: Storage,
  clientId: string,
  page: PageQuery,
): Promise<Page<LabEngine>> {
  const args = keysetArgs("createdAt", "asc", page);
  const rows = await db.labEngine.findMany({ ...args, where: { AND: [{ clientId }, args.where] } });
  return toPage(rows, page, (row) => row.createdAt, toView);
}

/** Unregisters an engine (admin): the labs on it go with it, so its learners are graded as learners without a lab. */
export async function deleteLabEngine({ prisma: db }: Storage, id: string): Promise<void> {
  const { count } = await db.labEngine.deleteMany({ where: { id } });
  if (count === 0) throw new NotFound(`There is no lab engine ${id}.`);
}
