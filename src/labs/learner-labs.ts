import { createHash } from "node:crypto";
import { z } from "zod";
import { open, seal } from "../crypto/secret-box.js";
import type { Database } from "../db/prisma.js";
import { statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { createDockerEngine, type DockerEngine, type EngineOptions } from "../docker/engine.js";
import { LabRefused, NotFound, SharedEngineNotGranted } from "../errors/domain-errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import { LabEngineOrigin } from "../generated/prisma/enums.js";
import { ensureLearner, requireKnownLearner } from "../learners/learners.js";
import { canonicalEngineUrl, isAllowedCanonicalUrl } from "./engine-url.js";
import { allowedEngineUrl, claimEngine, EngineUrlSchema } from "./lab-engines.js";

const Pem = z
  .string()
  .min(1)
  .max(20_000)
  .regex(/-----BEGIN [A-Z ]+-----/, "expected PEM text");

export const LabRequestSchema = z
  .strictObject({
    engineId: z.uuid().optional().describe("One of this API client's lab engines (GET /v1/lab-engines lists them)"),
    engineUrl: EngineUrlSchema.optional().describe(
      "Instead of engineId: the address of one of this API client's lab engines, as registered or any " +
        "spelling that resolves to it. An engine is never claimed by naming it: an admin registers it",
    ),
    tls: z
      .strictObject({ ca: Pem.optional(), cert: Pem, key: Pem })
      .optional()
      .describe("Client certificate for a tcp:// engine started with --tlsverify. The key is stored encrypted"),
  })
  .superRefine((body, context) => {
    if ((body.engineId === undefined) === (body.engineUrl === undefined)) {
      context.addIssue({ code: "custom", path: ["engineId"], message: "send exactly one of engineId and engineUrl" });
    }
  })
  .meta({ id: "LabRequest" });

export const LabSchema = z
  .object({
    learnerId: z.string(),
    engineId: z.uuid(),
    engineUrl: z.string().describe("The engine's canonical address"),
    tls: z.boolean().describe("Whether TLS material is stored (it is never returned)"),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Lab" });
type Lab = z.infer<typeof LabSchema>;

interface LabSettings {
  allowlist: readonly string[];
  secretsKey: Buffer | undefined;
}

/**
 * Binds a learner to one of their client's lab engines (creating the learner if new). The engine is
 * named by id, or by a URL that resolves to an engine registered to this very client: an engine of
 * another client, or none, is the same refusal, so the answer does not tell which engines exist.
 */
export async function setLab(
  { prisma: db }: Storage,
  settings: LabSettings,
  input: { clientId: string; learnerId: string } & z.infer<typeof LabRequestSchema>,
): Promise<Lab> {
  if (input.tls && !settings.secretsKey) {
    throw new LabRefused(
      "This server has no SECRETS_KEY, so it cannot store TLS keys; ask its operator to set one.",
      "body.tls",
    );
  }
  const engine = await ownEngine(db, settings, input);
  if (input.tls && !engine.engineUrl.startsWith("tcp://")) {
    throw new LabRefused("TLS material only applies to tcp:// engines.", "body.tls");
  }
  const tls =
    input.tls && settings.secretsKey
      ? {
          tlsCa: input.tls.ca ?? null,
          tlsCert: input.tls.cert,
          tlsKeyEncrypted: seal(settings.secretsKey, input.tls.key),
        }
      : { tlsCa: null, tlsCert: null, tlsKeyEncrypted: null };
  const lab = { clientId: input.clientId, learnerId: input.learnerId, engineId: engine.id };
  const row = await db.$transaction((tx) => bindLearner(tx, lab, tls));
  return toLab({ ...row, engine });
}

async function ownEngine(
  db: Database,
  settings: LabSettings,
  input: { clientId: string; engineId?: string | undefined; engineUrl?: string | undefined },
): Promise<{ id: string; engineUrl: string }> {
  const notRegistered = (what: string, field: string) =>
    new LabRefused(
      `${what} is not a lab engine registered to this API client. An admin registers engines for a client ` +
        "(POST /v1/lab-engines); GET /v1/lab-engines lists yours.",
      field,
    );
  if (input.engineId !== undefined) {
    const engine = await db.labEngine.findFirst({ where: { id: input.engineId, clientId: input.clientId } });
    if (!engine) throw notRegistered(`The engine ${input.engineId}`, "body.engineId");
    return engine;
  }
  const named = input.engineUrl ?? "";
  const engineUrl = await allowedEngineUrl(named, settings.allowlist, "body.engineUrl");
  const engine = await db.labEngine.findFirst({ where: { engineUrl, clientId: input.clientId } });
  if (!engine) throw notRegistered(`The engine URL ${JSON.stringify(named)}`, "body.engineUrl");
  return engine;
}

type TlsColumns = { tlsCa: string | null; tlsCert: string | null; tlsKeyEncrypted: string | null };

function bindLearner(
  tx: Prisma.TransactionClient,
  lab: { clientId: string; learnerId: string; engineId: string },
  tls: TlsColumns,
) {
  return ensureLearner(tx, lab.clientId, lab.learnerId).then(() =>
    tx.learnerLab.upsert({
      where: { clientId_learnerId: { clientId: lab.clientId, learnerId: lab.learnerId } },
      create: { ...lab, ...tls },
      update: { engineId: lab.engineId, ...tls },
    }),
  );
}

/**
 * For the service itself (the sandbox provider): registers an engine it made, to this client, and
 * binds the learner to it, in one transaction. The address is canonicalized like an admin's, but it
 * need not be in LAB_ENGINE_ALLOWLIST: the service chose it, not a client. An address another client
 * already holds is refused (LabEngineTaken). Call `app.labSet(clientId, learnerId)` afterwards, so
 * this replica stops treating the learner as one without a lab at once.
 */
export async function registerServiceLab(
  db: Database,
  input: { clientId: string; learnerId: string; engineUrl: string },
): Promise<Lab> {
  const engineUrl = await canonicalEngineUrl(input.engineUrl);
  return db.$transaction(async (tx) => {
    const engine = await claimEngine(tx, { clientId: input.clientId, engineUrl, origin: "service" });
    const row = await bindLearner(
      tx,
      { clientId: input.clientId, learnerId: input.learnerId, engineId: engine.id },
      { tlsCa: null, tlsCert: null, tlsKeyEncrypted: null },
    );
    return toLab({ ...row, engine });
  });
}

/**
 * The labs the lab_engines migration removed because another client held their engine first: the
 * migration cannot tell anyone, so each start-up says it in its log until an operator deletes the rows.
 */
export async function labConflictsAtMigration({ prisma: db }: Storage) {
  const rows = await db.labEngineMigrationConflict.findMany({ orderBy: { recordedAt: "asc" }, take: 100 });
  return rows.map((row) => ({
    clientId: row.clientId,
    learnerId: row.learnerId,
    engineUrl: row.engineUrl,
    engineNowBelongsTo: row.ownerClientId,
  }));
}

export async function getLab(storage: Storage, clientId: string, learnerId: string): Promise<Lab> {
  const db = storage.prisma;
  await requireKnownLearner(storage, clientId, learnerId);
  const row = await db.learnerLab.findUnique({
    where: { clientId_learnerId: { clientId, learnerId } },
    include: { engine: true },
  });
  if (!row) throw new NotFound(`Learner "${learnerId}" has no lab: the default engine grades them.`);
  return toLab(row);
}

export async function deleteLab(storage: Storage, clientId: string, learnerId: string): Promise<void> {
  const db = storage.prisma;
  await requireKnownLearner(storage, clientId, learnerId);
  await db.learnerLab.deleteMany({ where: { clientId, learnerId } });
}

function toLab(row: {
  learnerId: string;
  tlsCert: string | null;
  updatedAt: Date;
  engine: { id: string; engineUrl: string };
}): Lab {
  return {
    learnerId: row.learnerId,
    engineId: row.engine.id,
    engineUrl: row.engine.engineUrl,
    tls: row.tlsCert !== null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Exported for the benchmark's EXPLAIN ANALYZE of the hot queries. */
export const findLabOf = statement<[clientId: string, learnerId: string]>()(
  "find-lab-of-learner",
  `SELECT e.engine_url AS "engineUrl", e.origin, l.tls_ca AS "tlsCa", l.tls_cert AS "tlsCert",
          l.tls_key_encrypted AS "tlsKeyEncrypted"
     FROM learner_labs l JOIN lab_engines e ON e.id = l.engine_id AND e.client_id = l.client_id
    WHERE l.client_id = $1 AND l.learner_id = $2`,
  z.object({
    engineUrl: z.string(),
    origin: z.enum(LabEngineOrigin),
    tlsCa: z.string().nullable(),
    tlsCert: z.string().nullable(),
    tlsKeyEncrypted: z.string().nullable(),
  }),
);

/** Beyond this many learners remembered without a lab, the oldest is forgotten: a bound on memory. */
const MAX_REMEMBERED_WITHOUT_LAB = 10_000;

/**
 * Engines per lab, created on first use and reused (each keeps its negotiated API version and its
 * concurrency bound). The allowlist is checked again on use, so narrowing it takes effect at once.
 *
 * Most learners have no lab, and labs change rarely, so "no lab" is remembered for `noLabTtlMs`
 * (CACHE_TTL_MS): a lab set through another replica is used here within that time, and until then
 * the learner is graded on the shared engine only if the client holds engine:shared anyway. A lab
 * that exists is read every time, so removing one, or its TLS material, takes effect at once.
 */
export function createLabEngines(options: {
  storage: Storage;
  settings: LabSettings;
  defaultEngine: DockerEngine;
  engineOptions: Omit<EngineOptions, "host" | "tls">;
  noLabTtlMs: number;
}) {
  const engines = new Map<string, DockerEngine>();
  const withoutLab = new Map<string, number>();
  return {
    /**
     * The learner's lab engine; without a lab, the shared engine, but only for a client granted
     * it (engine:shared), because on it every container is visible.
     */
    async forLearner(
      caller: { clientId: string; mayUseSharedEngine: boolean },
      learnerId: string,
    ): Promise<DockerEngine> {
      const { clientId } = caller;
      const rememberedAs = `${clientId}/${learnerId}`;
      const now = performance.now();
      const knownWithoutLab = (withoutLab.get(rememberedAs) ?? 0) > now;
      const [lab] = knownWithoutLab ? [] : await options.storage.sql.rows(findLabOf, [clientId, learnerId]);
      if (!lab) {
        if (!knownWithoutLab) {
          withoutLab.delete(rememberedAs);
          if (withoutLab.size >= MAX_REMEMBERED_WITHOUT_LAB) {
            const oldest = withoutLab.keys().next();
            if (!oldest.done) withoutLab.delete(oldest.value);
          }
          withoutLab.set(rememberedAs, now + options.noLabTtlMs);
        }
        if (caller.mayUseSharedEngine) return options.defaultEngine;
        throw new SharedEngineNotGranted(
          `Learner "${learnerId}" has no lab, and this API client may not grade on the service's shared Docker ` +
            "engine. Give the learner a lab (PUT /v1/learners/{learnerId}/lab), or ask an admin for the " +
            'scope "engine:shared".',
        );
      }
      await refuseIfMoved(lab, learnerId, options.settings.allowlist);
      const tls =
        lab.tlsCert && lab.tlsKeyEncrypted && options.settings.secretsKey
          ? {
              ca: lab.tlsCa ?? undefined,
              cert: lab.tlsCert,
              key: open(options.settings.secretsKey, lab.tlsKeyEncrypted),
            }
          : undefined;
      const cacheKey = createHash("sha256")
        .update(JSON.stringify([lab.engineUrl, tls ?? null]))
        .digest("hex");
      let engine = engines.get(cacheKey);
      if (!engine) {
        engine = createDockerEngine({ ...options.engineOptions, host: lab.engineUrl, tls });
        engines.set(cacheKey, engine);
      }
      return engine;
    },
    /** A lab was set through this replica: use it from the next submission on. */
    labSet(clientId: string, learnerId: string): void {
      withoutLab.delete(`${clientId}/${learnerId}`);
    },
    close() {
      for (const engine of engines.values()) engine.close();
      engines.clear();
    },
  };
}

/**
 * Checked at every connect, since a path can change after registration: a socket (or a folder on its
 * way) replaced by a symlink now leads elsewhere, and the real path no longer is the registered one.
 * An admin's engine must also still be within LAB_ENGINE_ALLOWLIST, so narrowing it takes effect at once.
 */
async function refuseIfMoved(
  lab: { engineUrl: string; origin: LabEngineOrigin },
  learnerId: string,
  allowlist: readonly string[],
): Promise<void> {
  const canonical = await canonicalEngineUrl(lab.engineUrl).catch(() => lab.engineUrl);
  if (canonical !== lab.engineUrl) {
    throw new LabRefused(
      `Learner "${learnerId}"'s lab engine ${lab.engineUrl} now resolves to ${canonical}: the path was changed ` +
        "after the engine was registered. An admin must register the engine again.",
    );
  }
  if (lab.origin === "admin" && !(await isAllowedCanonicalUrl(lab.engineUrl, allowlist))) {
    throw new LabRefused(
      `Learner "${learnerId}"'s lab engine ${lab.engineUrl} is no longer allowed by LAB_ENGINE_ALLOWLIST.`,
    );
  }
}
