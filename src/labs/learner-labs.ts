import { createHash } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/prisma.js";
import { type Sql, statement } from "../db/sql.js";
import { createDockerEngine, type DockerEngine, type EngineOptions } from "../docker/engine.js";
import { LabRefused, NotFound, SharedEngineNotGranted } from "../errors/domain-errors.js";
import { ensureLearner, requireKnownLearner } from "../learners/learners.js";
import { isAllowedEngineUrl, isNormalSocketPath } from "./engine-url.js";
import { open, seal } from "./secret-box.js";

const Pem = z
  .string()
  .min(1)
  .max(20_000)
  .regex(/-----BEGIN [A-Z ]+-----/, "expected PEM text");

export const LabRequestSchema = z
  .strictObject({
    engineUrl: z
      .string()
      .max(500)
      .regex(/^(unix:\/\/\/.+|tcp:\/\/.+)$/, "expected unix:///path/to/docker.sock or tcp://host:port")
      .refine((url) => !url.startsWith("tcp://") || URL.canParse(url.replace(/^tcp:/, "http:")), {
        message: "expected tcp://host:port with a port of 1–65535",
      })
      .refine(
        (url) => !url.startsWith("unix://") || isNormalSocketPath(url.slice("unix://".length)),
        "expected a normalized socket path: no `.` or `..` segments, no `//`, no percent-encoding",
      )
      .describe("The engine where this learner's containers run; must match the server's LAB_ENGINE_ALLOWLIST"),
    tls: z
      .strictObject({ ca: Pem.optional(), cert: Pem, key: Pem })
      .optional()
      .describe("Client certificate for a tcp:// engine started with --tlsverify. The key is stored encrypted"),
  })
  .meta({ id: "LabRequest" });

export const LabSchema = z
  .object({
    learnerId: z.string(),
    engineUrl: z.string(),
    tls: z.boolean().describe("Whether TLS material is stored (it is never returned)"),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Lab" });
export type Lab = z.infer<typeof LabSchema>;

export interface LabSettings {
  allowlist: readonly string[];
  secretsKey: Buffer | undefined;
}

function refuse(detail: string): LabRefused {
  return new LabRefused(detail);
}

/** Binds a learner to an engine (creating the learner if new); the URL is checked against the allowlist. */
export async function setLab(
  db: Database,
  settings: LabSettings,
  input: { clientId: string; learnerId: string } & z.infer<typeof LabRequestSchema>,
): Promise<Lab> {
  if (!isAllowedEngineUrl(input.engineUrl, settings.allowlist)) {
    throw refuse(
      `The engine URL ${JSON.stringify(input.engineUrl)} is not in this server's LAB_ENGINE_ALLOWLIST` +
        (settings.allowlist.length === 0 ? " (which is empty: labs are disabled)." : "."),
    );
  }
  if (input.tls && !input.engineUrl.startsWith("tcp://")) throw refuse("TLS material only applies to tcp:// engines.");
  if (input.tls && !settings.secretsKey) {
    throw refuse("This server has no SECRETS_KEY, so it cannot store TLS keys; ask its operator to set one.");
  }
  const tls =
    input.tls && settings.secretsKey
      ? {
          tlsCa: input.tls.ca ?? null,
          tlsCert: input.tls.cert,
          tlsKeyEncrypted: seal(settings.secretsKey, input.tls.key),
        }
      : { tlsCa: null, tlsCert: null, tlsKeyEncrypted: null };
  const row = await db.$transaction(async (tx) => {
    await ensureLearner(tx, input.clientId, input.learnerId);
    return tx.learnerLab.upsert({
      where: { clientId_learnerId: { clientId: input.clientId, learnerId: input.learnerId } },
      create: { clientId: input.clientId, learnerId: input.learnerId, engineUrl: input.engineUrl, ...tls },
      update: { engineUrl: input.engineUrl, ...tls },
    });
  });
  return toLab(row);
}

export async function getLab(db: Database, clientId: string, learnerId: string): Promise<Lab> {
  await requireKnownLearner(db, clientId, learnerId);
  const row = await db.learnerLab.findUnique({ where: { clientId_learnerId: { clientId, learnerId } } });
  if (!row) throw new NotFound(`Learner "${learnerId}" has no lab: the default engine grades them.`);
  return toLab(row);
}

export async function deleteLab(db: Database, clientId: string, learnerId: string): Promise<void> {
  await requireKnownLearner(db, clientId, learnerId);
  await db.learnerLab.deleteMany({ where: { clientId, learnerId } });
}

function toLab(row: { learnerId: string; engineUrl: string; tlsCert: string | null; updatedAt: Date }): Lab {
  return {
    learnerId: row.learnerId,
    engineUrl: row.engineUrl,
    tls: row.tlsCert !== null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Exported for the benchmark's EXPLAIN ANALYZE of the hot queries. */
export const findLabOf = statement<
  [clientId: string, learnerId: string],
  { engineUrl: string; tlsCa: string | null; tlsCert: string | null; tlsKeyEncrypted: string | null }
>(
  "find-lab-of-learner",
  `SELECT engine_url AS "engineUrl", tls_ca AS "tlsCa", tls_cert AS "tlsCert", tls_key_encrypted AS "tlsKeyEncrypted"
     FROM learner_labs WHERE client_id = $1 AND learner_id = $2`,
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
  sql: Sql;
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
      const [lab] = knownWithoutLab ? [] : await options.sql.rows(findLabOf, [clientId, learnerId]);
      if (!lab) {
        if (!knownWithoutLab) {
          withoutLab.delete(rememberedAs);
          if (withoutLab.size >= MAX_REMEMBERED_WITHOUT_LAB)
            withoutLab.delete(withoutLab.keys().next().value as string);
          withoutLab.set(rememberedAs, now + options.noLabTtlMs);
        }
        if (caller.mayUseSharedEngine) return options.defaultEngine;
        throw new SharedEngineNotGranted(
          `Learner "${learnerId}" has no lab, and this API client may not grade on the service's shared Docker ` +
            "engine. Give the learner a lab (PUT /v1/learners/{learnerId}/lab), or ask an admin for the " +
            'scope "engine:shared".',
        );
      }
      if (!isAllowedEngineUrl(lab.engineUrl, options.settings.allowlist)) {
        throw refuse(
          `Learner "${learnerId}"'s lab engine ${lab.engineUrl} is no longer allowed by LAB_ENGINE_ALLOWLIST.`,
        );
      }
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
