import { z } from "zod";
import type { Database } from "../db/prisma.js";
import { NotFound } from "../errors/domain-errors.js";
import { ensureLearner, requireKnownLearner } from "../learners/learners.js";
import type { Sandbox, SandboxOwner, SandboxProvider } from "./sandbox-provider.js";

export const SandboxSchema = z
  .object({
    learnerId: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    idleExpiresAt: z.iso.datetime().describe("Reaped at this time unless used again (grading or this PUT renews it)"),
    expiresAt: z.iso.datetime().describe("Reaped at this time whatever happens: the maximum age"),
  })
  .meta({ id: "Sandbox" });
type SandboxView = z.infer<typeof SandboxSchema>;

function view(sandbox: Sandbox): SandboxView {
  return {
    learnerId: sandbox.owner.learnerId,
    createdAt: sandbox.createdAt.toISOString(),
    lastUsedAt: sandbox.lastUsedAt.toISOString(),
    idleExpiresAt: sandbox.idleExpiresAt.toISOString(),
    expiresAt: sandbox.expiresAt.toISOString(),
  };
}

function enabled(provider: SandboxProvider | undefined): SandboxProvider {
  if (!provider) throw new NotFound("This server offers no sandboxes: its operator has not set SANDBOXES_ENABLED.");
  return provider;
}

/**
 * Gives the learner a sandbox, or keeps theirs alive: from then on they are graded on it. The
 * learner is created if new, before the sandbox is made, so a sandbox never belongs to nobody.
 */
export async function acquireLearnerSandbox(
  db: Database,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<{ sandbox: SandboxView; created: boolean }> {
  const sandboxes = enabled(provider);
  await db.$transaction((tx) => ensureLearner(tx, owner.clientId, owner.learnerId));
  const { sandbox, created } = await sandboxes.acquire(owner);
  return { sandbox: view(sandbox), created };
}

export async function getLearnerSandbox(
  db: Database,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<SandboxView> {
  const sandboxes = enabled(provider);
  await requireKnownLearner(db, owner.clientId, owner.learnerId);
  const sandbox = sandboxes.find(owner);
  if (!sandbox) throw new NotFound(`Learner "${owner.learnerId}" has no sandbox now (PUT makes one).`);
  return view(sandbox);
}

export async function releaseLearnerSandbox(
  db: Database,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<void> {
  const sandboxes = enabled(provider);
  await requireKnownLearner(db, owner.clientId, owner.learnerId);
  if (!(await sandboxes.release(owner))) throw new NotFound(`Learner "${owner.learnerId}" has no sandbox now.`);
}
