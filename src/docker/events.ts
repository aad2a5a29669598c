/**
 * The engine's event log, read between two times on its clock: the DockerEngine methods of the same
 * names, described there. The engine keeps only its newest 256 events, and loses them when it restarts.
 */
import type { Readable } from "node:stream";
import { z } from "zod";
import type { ContainerEvent, VolumeMount } from "./container-facts.js";
import { streamAnswer } from "./engine-answers.js";
import type { EngineClient } from "./engine-client.js";

/** One line of the engine's event stream: what happened, to what (its id or name), and the attributes logged. */
interface EngineEvent {
  action: string;
  actorId: string;
  attributes: Partial<Record<string, string>>;
  atMs: number;
}

const EventLineSchema = z.object({
  Action: z.string(),
  timeNano: z.number(),
  Actor: z
    .object({ ID: z.string().default(""), Attributes: z.record(z.string(), z.string()).nullish() })
    .default({ ID: "" }),
});

export async function containerEvents(engine: EngineClient, since: string, until: string): Promise<ContainerEvent[]> {
  const events = await readEvents(engine, "events", { type: ["container"] }, since, until);
  return events.map((event) => ({
    action: event.action,
    name: event.attributes.name ?? "",
    containerId: event.actorId,
    atMs: event.atMs,
  }));
}

export async function volumeMounts(
  engine: EngineClient,
  name: string,
  since: string,
  until: string,
): Promise<VolumeMount[]> {
  const filter = { type: ["volume"], volume: [name] };
  const events = await readEvents(engine, `events of volume ${name}`, filter, since, until);
  return events
    .filter((event) => event.action === "mount" && event.attributes.container)
    .map((event) => ({ containerId: event.attributes.container ?? "", atMs: event.atMs }));
}

/** The engine's event log from `since` to `until` (RFC 3339 on its clock), as it logged them. */
async function readEvents(
  engine: EngineClient,
  description: string,
  filter: Record<string, string[]>,
  since: string,
  until: string,
): Promise<EngineEvent[]> {
  const { docker } = await engine.versioned();
  return engine.call(description, async (signal) => {
    const query = { since: unixSeconds(since), until: unixSeconds(until), filters: JSON.stringify(filter) };
    const stream = streamAnswer(await docker.getEvents({ ...query, abortSignal: signal }), description);
    const events: EngineEvent[] = [];
    try {
      for await (const event of engineEvents(stream)) events.push(event);
    } finally {
      stream.destroy();
    }
    return events;
  });
}

/** Each event in the engine's stream (one JSON object per line); a line of another shape is passed over. */
async function* engineEvents(stream: Readable): AsyncGenerator<EngineEvent> {
  let pending = "";
  for await (const chunk of stream) {
    const lines = (pending + String(chunk)).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      const event = EventLineSchema.safeParse(JSON.parse(line));
      if (!event.success) continue;
      yield {
        action: event.data.Action,
        actorId: event.data.Actor.ID,
        attributes: event.data.Actor.Attributes ?? {},
        atMs: event.data.timeNano / 1e6,
      };
    }
  }
}

/** An RFC 3339 time as the Unix seconds (with a fraction) the events endpoint reads. */
function unixSeconds(time: string): number {
  return Date.parse(time) / 1000;
}
