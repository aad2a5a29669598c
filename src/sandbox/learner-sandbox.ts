import { z } from "zod";
import type { Storage } from "../db/storage.js";
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
  { prisma: db }: Storage,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<{ sandbox: SandboxView; created: boolean }> {
  const sandboxes = enabled(provider);
  await db.$transaction((tx) => ensureLearner(tx, owner.clientId, owner.learnerId));
  const { sandbox, created } = await sandboxes.acquire(owner);
  return { sandbox: view(sandbox), created };
}

export async function getLearnerSandbox(
  storage: Storage,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<SandboxView> {
  const sandbox = (await sandboxesOfKnownLearner(storage, provider, owner)).find(owner);
  if (!sandbox) throw new NotFound(`Learner "${owner.learnerId}" has no sandbox now (PUT makes one).`);
  return view(sandbox);
}

export async function releaseLearnerSandbox(
  storage: Storage,
  provider: SandboxProvider | undefined,
  owner: SandboxOwner,
): Promise<void> {
  const sandboxes = await sandboxesOfKnownLearner(storage, provider, owner);
  if (!(await sandboxes.release(owner))) throw new NotFound(`Learner "${owner.learnerId}" has no sandbox now.`);
}

/** Reading or releasing names a learner the client already has: an unknown one is a 404 of its own. */
async function sandboxesOfKnownLearner(storage: Storage, provider: SandboxProvider | undefined, owner: SandboxOwner) {
  const sandboxes = enabled(provider);
  await requireKnownLearner(storage, owner.clientId, owner.learnerId);
  return sandboxes;
}
