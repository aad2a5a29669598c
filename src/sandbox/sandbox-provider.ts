import { SandboxUnavailable } from "../errors/domain-errors.js";
import { type SandboxHostClient, SandboxHostError } from "./host-client.js";
import type { HostSandbox } from "./host-protocol.js";

/** Whose sandbox: a learner of one API client. Another client's learner of the same id is another person. */
export interface SandboxOwner {
  clientId: string;
  learnerId: string;
}

export interface Sandbox {
  id: string;
  owner: SandboxOwner;
  /** The engine's Unix socket: grading, and a terminal, talk to the sandbox through it. */
  engineSocket: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** When it is reaped unless used again, and when it is reaped whatever happens. */
  idleExpiresAt: Date;
  expiresAt: Date;
}

/**
 * Where learners' sandboxes come from. This machine's provider asks the sandbox host for rootless
 * engines; a Kubernetes provider (docs/sandboxes-kubernetes.md) would make a Pod per learner.
 */
export interface SandboxProvider {
  /** The learner's sandbox, made (from the warm pool when it has one) if they have none. */
  acquire(owner: SandboxOwner): Promise<{ sandbox: Sandbox; created: boolean }>;
  find(owner: SandboxOwner): Sandbox | undefined;
  /** Marks it in use now (grading, a terminal): its idle time starts again. */
  touch(owner: SandboxOwner): Sandbox | undefined;
  /** Destroys the learner's sandbox; false when they had none. */
  release(owner: SandboxOwner): Promise<boolean>;
  list(): Sandbox[];
  close(): Promise<void>;
}

interface HostedProviderSettings {
  warmPool: number;
  max: number;
  idleMs: number;
  maxAgeMs: number;
}

const keyOf = (owner: SandboxOwner) => JSON.stringify([owner.clientId, owner.learnerId]);
/** How long a caller over capacity is told to wait: about one sweep, when idle sandboxes are reaped. */
const CAPACITY_RETRY_AFTER_SECONDS = 30;
const HOST_RETRY_AFTER_SECONDS = 5;

/**
 * Sandboxes from the sandbox host on this machine: which learner has which is kept here (the host
 * knows only what exists), a warm pool of ready ones is topped up in the background, and a sweep
 * reaps those idle for `idleMs` or older than `maxAgeMs`. Ownership is kept in memory, so `start`
 * destroys what a previous run of the service left: nobody can claim those any more.
 */
export function createHostedSandboxProvider(options: {
  host: SandboxHostClient;
  settings: HostedProviderSettings;
  log: (message: string, error?: unknown) => void;
  now?: () => number;
}) {
  const { host, settings, log } = options;
  const now = options.now ?? Date.now;
  const assigned = new Map<string, Sandbox>();
  const acquiring = new Map<string, Promise<{ sandbox: Sandbox; created: boolean }>>();
  const pool: HostSandbox[] = [];
  let making = 0;
  /** Pool sandboxes being made: close waits for them, and destroys them. */
  const poolFills = new Set<Promise<unknown>>();
  let closed = false;
  let sweepTimer: NodeJS.Timeout | undefined;

  const total = () => assigned.size + pool.length + making;

  function toSandbox(made: HostSandbox, owner: SandboxOwner): Sandbox {
    const at = now();
    const createdAt = Date.parse(made.createdAt);
    return {
      id: made.id,
      owner,
      engineSocket: made.engineSocket,
      createdAt: new Date(createdAt),
      lastUsedAt: new Date(at),
      idleExpiresAt: new Date(Math.min(at + settings.idleMs, createdAt + settings.maxAgeMs)),
      expiresAt: new Date(createdAt + settings.maxAgeMs),
    };
  }

  async function make(): Promise<HostSandbox> {
    making++;
    try {
      return await host.create();
    } catch (error) {
      if (error instanceof SandboxHostError && error.code === "capacity") {
        throw new SandboxUnavailable("capacity", CAPACITY_RETRY_AFTER_SECONDS, error.message);
      }
      log("the sandbox host could not make a sandbox", error);
      throw new SandboxUnavailable(
        "host",
        HOST_RETRY_AFTER_SECONDS,
        "The sandbox host could not make a sandbox now. Nothing was made; try again shortly.",
      );
    } finally {
      making--;
    }
  }

  function fillPool(): void {
    while (!closed && pool.length + making < settings.warmPool && total() < settings.max) {
      const filling: Promise<unknown> = make()
        .then(
          async (made) => {
            if (closed) await destroy(made.id);
            else pool.push(made);
          },
          () => undefined,
        )
        .finally(() => poolFills.delete(filling));
      poolFills.add(filling);
    }
  }

  async function destroy(id: string): Promise<void> {
    await host.destroy(id).catch((error) => {
      if (!(error instanceof SandboxHostError && error.code === "not-found")) log(`sandbox ${id} not destroyed`, error);
    });
  }

  async function acquireNew(owner: SandboxOwner): Promise<{ sandbox: Sandbox; created: boolean }> {
    const pooled = pool.shift();
    let made = pooled;
    if (!made) {
      if (total() >= settings.max) {
        throw new SandboxUnavailable(
          "capacity",
          CAPACITY_RETRY_AFTER_SECONDS,
          `All ${settings.max} sandboxes of this server are in use. Nothing was made; retry later.`,
        );
      }
      made = await make();
    }
    const sandbox = toSandbox(made, owner);
    assigned.set(keyOf(owner), sandbox);
    fillPool();
    return { sandbox, created: true };
  }

  async function sweep(): Promise<void> {
    const at = now();
    const running = new Set((await host.list()).filter((made) => made.running).map((made) => made.id));
    for (const [key, sandbox] of assigned) {
      const reason = !running.has(sandbox.id)
        ? "its engine stopped"
        : at >= sandbox.expiresAt.getTime()
          ? "it reached its maximum age"
          : at >= sandbox.idleExpiresAt.getTime()
            ? "it was idle"
            : undefined;
      if (!reason) continue;
      assigned.delete(key);
      log(`sandbox ${sandbox.id} reaped: ${reason}`);
      await destroy(sandbox.id);
    }
    for (const made of [...pool]) {
      if (running.has(made.id) && at - Date.parse(made.createdAt) < settings.maxAgeMs) continue;
      pool.splice(pool.indexOf(made), 1);
      await destroy(made.id);
    }
    fillPool();
  }

  function touch(owner: SandboxOwner): Sandbox | undefined {
    const sandbox = assigned.get(keyOf(owner));
    if (!sandbox) return undefined;
    const at = now();
    sandbox.lastUsedAt = new Date(at);
    sandbox.idleExpiresAt = new Date(Math.min(at + settings.idleMs, sandbox.expiresAt.getTime()));
    return sandbox;
  }

  const provider = {
    /** Destroys what an earlier run left, fills the warm pool and starts the sweep. */
    async start(): Promise<void> {
      for (const left of await host.list()) await destroy(left.id);
      fillPool();
      const every = Math.max(1000, Math.min(30_000, settings.idleMs / 4));
      sweepTimer = setInterval(() => {
        sweep().catch((error) => log("sandbox sweep failed", error));
      }, every);
      sweepTimer.unref();
    },

    /** Runs the sweep now (the timer runs it every quarter of the idle time, at most every 30 s). */
    sweep,

    acquire(owner: SandboxOwner): Promise<{ sandbox: Sandbox; created: boolean }> {
      const key = keyOf(owner);
      const existing = touch(owner);
      if (existing) return Promise.resolve({ sandbox: existing, created: false });
      // Two requests of one learner at once get one sandbox.
      let pending = acquiring.get(key);
      if (!pending) {
        pending = acquireNew(owner).finally(() => acquiring.delete(key));
        acquiring.set(key, pending);
      }
      return pending;
    },

    find(owner: SandboxOwner) {
      return assigned.get(keyOf(owner));
    },

    touch,

    async release(owner: SandboxOwner) {
      const key = keyOf(owner);
      const sandbox = assigned.get(key);
      if (!sandbox) return false;
      assigned.delete(key);
      await destroy(sandbox.id);
      fillPool();
      return true;
    },

    list() {
      return [...assigned.values()];
    },

    /** How many wait ready in the pool: for the bench and tests. */
    pooled() {
      return pool.length;
    },

    async close() {
      closed = true;
      clearInterval(sweepTimer);
      const all = [...Array.from(assigned.values(), (sandbox) => sandbox.id), ...pool.map((made) => made.id)];
      assigned.clear();
      pool.length = 0;
      await Promise.all([...all.map(destroy), ...poolFills]);
    },
  } satisfies SandboxProvider & Record<string, unknown>;
  return provider;
}

export type HostedSandboxProvider = ReturnType<typeof createHostedSandboxProvider>;
