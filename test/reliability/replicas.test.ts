import { readdir, readFile, readlink } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { createTestClient, createTestDatabase, type TestDatabase } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";
import { waitFor } from "../support/polling.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

/**
 * Three `npm start` processes on one PostgreSQL (DATABASE_URL), as three replicas behind a balancer.
 * Submissions with Idempotency-Keys, some sent to two replicas at once, and a webhook for every grade;
 * one replica is killed with SIGKILL mid-load, and its clients retry the same key on a survivor.
 */
const REPLICAS = 3;
const WORKERS = 6;
const ACKNOWLEDGED_BEFORE_KILL = 60;
const ACKNOWLEDGED_AFTER_KILL = 60;
/** Short, so that the dead replica's claims come back within the test; the default is 60 s. */
const LEASE_MS = 5000;
/** Slow enough that a delivery stays in flight for a while, so the kill can catch one. */
const RECEIVER_DELAY_MS = 2000;
const EXERCISE = "example2-en-segundo-plano";

let database: TestDatabase;
let db: Database;
let auth: string;
const receiver = await startWebhookReceiver({ delayMs: RECEIVER_DELAY_MS });
const replicas: { url: string; server: ReturnType<typeof startServer>; dead: boolean }[] = [];
/**
 * Whether a process holds an open connection to the receiver: a delivery it is sending right now.
 * Read from /proc: the sockets connected to the receiver's port (/proc/net/tcp, state 01 =
 * established), and whether one of them is among the process's open files.
 */
async function sendingToReceiver(pid: number): Promise<boolean> {
  const portHex = receiver.port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      const [, , remote, state, , , , , , inode] = line.trim().split(/\s+/);
      if (remote?.endsWith(`:${portHex}`) && state === "01" && inode) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "")) return true;
  }
  return false;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabaseClient(database.url);
  auth = (await createTestClient(db, ["submissions:write", "webhooks:manage", "engine:shared"], "replicas")).auth;
  const servers = Array.from({ length: REPLICAS }, () =>
    startServer({
      DATABASE_URL: database.url,
      RATE_LIMIT_PER_MINUTE: "1000000",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true", // the receiver is on 127.0.0.1
      WEBHOOK_LEASE_MS: String(LEASE_MS),
    }),
  );
  for (const server of servers) {
    replicas.push({ server, url: await listeningAddress(server.output, 90_000), dead: false });
  }
  const webhook = await fetch(`${replicas[0]?.url}/v1/webhooks`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ url: receiver.url, events: ["submission.graded"] }),
  });
  expect(webhook.status).toBe(201);
}, 120_000);

afterAll(async () => {
  for (const { server } of replicas) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
    await exitCode(server.child);
  }
  await db?.$disconnect();
  await database?.drop();
  await receiver.close();
});

interface Outcome {
  /** The submission id of every 201, the first answer and every replay. */
  ids: string[];
  /** 409s: the key was in flight elsewhere, or its first request died with its replica. */
  inFlight: number;
  /** Requests that got no answer because their replica was killed, then retried on another. */
  lost: number;
}

/**
 * A client that retries: the same key and body go to the next live replica whenever a replica does
 * not answer, until one answers 201 or 409.
 */
async function submit(key: string, learner: number, first: number, outcome: Outcome): Promise<void> {
  for (let attempt = 0; attempt < REPLICAS * 2; attempt++) {
    const live = replicas.filter((replica) => !replica.dead);
    const replica = live[(first + attempt) % live.length];
    if (!replica) throw new Error("no replica is alive");
    try {
      const response = await fetch(`${replica.url}/v1/exercises/${EXERCISE}/submissions`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ learnerId: `replicas-${learner}`, containerName: `replicas-missing-${learner}` }),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status === 201 && body.id) outcome.ids.push(body.id);
      else if (response.status === 409) outcome.inFlight++;
      else throw new Error(`${key} answered ${response.status}: ${JSON.stringify(body)}`);
      return;
    } catch (error) {
      if (!replica.dead) throw error;
      outcome.lost++;
    }
  }
  throw new Error(`${key}: no replica answered`);
}

describe("three replicas as real processes, one killed with SIGKILL mid-load", () => {
  it("store each 201 once, every retried key once, and deliver every event, the dead one's after its lease", {
    timeout: 180_000,
  }, async () => {
    const outcomes = new Map<string, Outcome>();
    const retriedKeys: string[] = [];
    const acknowledged = () => new Set([...outcomes.values()].flatMap((o) => o.ids)).size;
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = `replicas-${w}-${n}`;
        const outcome: Outcome = { ids: [], inFlight: 0, lost: 0 };
        outcomes.set(key, outcome);
        // Every third key is a retry sent at once to another replica, as a client that timed out would.
        const copies = n % 3 === 0 ? 2 : 1;
        if (copies === 2) retriedKeys.push(key);
        await Promise.all(Array.from({ length: copies }, (_, c) => submit(key, w, w + n + c, outcome)));
      }
    };
    const until = async (count: number) => {
      while (acknowledged() < count) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await Promise.race([until(ACKNOWLEDGED_BEFORE_KILL), load]);
    const victim = replicas[0];
    if (!victim) throw new Error("no replica to kill");
    // Killed while it is sending a delivery, so it certainly leaves a leased one behind.
    await waitFor(
      async () => {
        if (!(await sendingToReceiver(victim.server.child.pid ?? -1))) throw new Error("not sending a delivery yet");
      },
      "the replica to kill sending a delivery",
      30_000,
    );
    victim.dead = true;
    victim.server.child.kill("SIGKILL");
    const killedAt = new Date();
    const acknowledgedAtKill = acknowledged();
    await Promise.race([until(acknowledgedAtKill + ACKNOWLEDGED_AFTER_KILL), load]);
    stop = true;
    await load;
    expect(await exitCode(victim.server.child)).toBeNull();

    // Rows equal the 201s: every answered submission is stored, and nothing unanswered is.
    const answered = new Set([...outcomes.values()].flatMap((o) => o.ids));
    const stored = await db.submission.findMany({ select: { id: true } });
    expect(new Set(stored.map((s) => s.id))).toEqual(answered);
    // Each key, retried at once or after the kill, has one submission at most: every 201 of it is the same.
    for (const [key, outcome] of outcomes) expect(new Set(outcome.ids).size, key).toBeLessThanOrEqual(1);
    const keysAnswered = [...outcomes.values()].filter((o) => o.ids.length > 0).length;
    expect(keysAnswered).toBe(answered.size);

    // Every outbox event is delivered; the receiver deduplicates on the event id.
    const deliveries = () => db.webhookDelivery.findMany({ include: { attemptLog: true } });
    expect((await deliveries()).length, "one submission.graded per stored submission").toBe(answered.size);
    await waitFor(
      async () => expect((await deliveries()).filter((d) => d.status !== "delivered")).toEqual([]),
      "every delivery delivered",
      LEASE_MS + 60_000,
    );
    const all = await deliveries();
    const receivedIds = new Set(receiver.received.map((r) => (JSON.parse(r.body) as { id: string }).id));
    for (const delivery of all) expect(receivedIds.has(delivery.eventId), delivery.eventId).toBe(true);

    // The dead replica's claims: counted in `attempts` but never logged. A survivor sent each of them
    // only once the lease had run out, never while it was still held.
    const takenOver = all.filter((d) => d.attempts > d.attemptLog.length);
    expect(takenOver.length, "the killed replica was sending deliveries").toBeGreaterThan(0);
    for (const delivery of takenOver) {
      const firstLogged = Math.min(...delivery.attemptLog.map((a) => a.attemptedAt.getTime()));
      expect(firstLogged - delivery.createdAt.getTime()).toBeGreaterThanOrEqual(LEASE_MS);
    }
    const recoveredAt = Math.max(...takenOver.map((d) => d.deliveredAt?.getTime() ?? 0));

    const all201 = [...outcomes.values()].reduce((sum, o) => sum + o.ids.length, 0);
    const lost = [...outcomes.values()].reduce((sum, o) => sum + o.lost, 0);
    const orphaned = [...outcomes.values()].filter((o) => o.ids.length === 0).length;
    console.log(
      `replicas: ${REPLICAS} processes, ${outcomes.size} keys (${retriedKeys.length} sent to two replicas at once), ` +
        `${answered.size} submissions stored = ${answered.size} distinct 201s (${all201} answers of 201 with replays); ` +
        `kill -9 after ${acknowledgedAtKill}: ${lost} requests cut off and retried on a survivor, ` +
        `${orphaned} keys left claimed by the dead replica (409 until the claim expires); ` +
        `${all.length} events delivered, ${receiver.received.length - receivedIds.size} duplicates deduplicated; ` +
        `${takenOver.length} deliveries leased by the dead replica, the last delivered ${recoveredAt - killedAt.getTime()} ms ` +
        `after the kill (lease ${LEASE_MS} ms)`,
    );
  });
});
