/**
 * The engine's read-only lookups of its containers, images and volumes, and of its own clock: the
 * DockerEngine methods of the same names, each described there.
 */
import type Docker from "dockerode";
import { z } from "zod";
import {
  COMPOSE_LABELS,
  type ContainerFacts,
  containerFactsFromInspect,
  type HistoryStep,
  type ImageFacts,
  imageFactsFromInspect,
  type VolumeFacts,
  volumeFactsFromInspect,
} from "./container-facts.js";
import { parseAnswer, unlessMissing } from "./engine-answers.js";
import { withSignal } from "./engine-call.js";
import type { EngineClient } from "./engine-client.js";

export async function inspectContainer(engine: EngineClient, name: string): Promise<ContainerFacts | undefined> {
  const { target } = await engine.container(name);
  const inspect = await engine.call(`inspect ${name}`, (signal) =>
    unlessMissing(target.inspect({ abortSignal: signal })),
  );
  return inspect === undefined ? undefined : containerFactsFromInspect(inspect);
}

export async function inspectImage(engine: EngineClient, id: string): Promise<ImageFacts | undefined> {
  const { docker } = await engine.versioned();
  // Only IDs reach here (the container's Image field), never a name from a request.
  const image = docker.getImage(encodeURIComponent(id));
  const inspect = await engine.call(`inspect image ${id}`, (signal) => {
    // dockerode reads `abortSignal` here too; its type definitions leave it out of an image inspect's options.
    const options: Docker.ImageInspectOptions & { abortSignal: AbortSignal } = { abortSignal: signal };
    return unlessMissing(image.inspect(options));
  });
  return inspect === undefined ? undefined : imageFactsFromInspect(inspect);
}

export async function inspectVolume(engine: EngineClient, name: string): Promise<VolumeFacts | undefined> {
  const { docker } = await engine.versioned();
  const volume = docker.getVolume(encodeURIComponent(name));
  const inspect = await engine.call(`inspect volume ${name}`, (signal) =>
    unlessMissing(volume.inspect({ abortSignal: signal })),
  );
  return inspect === undefined ? undefined : volumeFactsFromInspect(inspect);
}

/** The part of an image's history that checks read: each step's command, newest first. */
const HistoryAnswerSchema = z.array(z.object({ CreatedBy: z.string().default("") }));

export async function imageHistory(engine: EngineClient, image: string): Promise<HistoryStep[] | undefined> {
  const { docker } = await engine.versioned();
  const target = docker.getImage(image);
  // dockerode's history() takes no options, so no abort signal: the call's deadline still bounds it.
  const history = await engine.call(`history of ${image}`, () => unlessMissing(target.history()));
  if (history === undefined) return undefined;
  const steps = parseAnswer(HistoryAnswerSchema, history, `history of ${image}`);
  return steps.map((step) => ({ createdBy: step.CreatedBy })).reverse();
}

/** The part of /info that is read: the engine's own clock, RFC 3339 with nanoseconds. */
const SystemInfoSchema = z.object({ SystemTime: z.string().default("") });

/** The engine's own clock (/info SystemTime): container times are on it. */
export async function systemTime(engine: EngineClient): Promise<string> {
  const { docker } = await engine.versioned();
  const info = await engine.call("info", (signal) => withSignal(docker.info, docker, signal));
  return parseAnswer(SystemInfoSchema, info, "info").SystemTime;
}

/** The part of a container list that finding a Compose service's container reads. */
const ContainerListSchema = z.array(
  z.object({ Names: z.array(z.string()).default([]), Labels: z.record(z.string(), z.string()).nullish() }),
);

export async function findComposeContainer(
  engine: EngineClient,
  project: string,
  service: string,
): Promise<string | undefined> {
  const { docker } = await engine.versioned();
  const filters = JSON.stringify({
    label: [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=${service}`],
  });
  const description = `list containers of ${project}/${service}`;
  const answer = await engine.call(description, (signal) =>
    docker.listContainers({ all: true, filters, abortSignal: signal }),
  );
  const found = parseAnswer(ContainerListSchema, answer, description);
  const replica = (c: (typeof found)[number]) => Number(c.Labels?.[COMPOSE_LABELS.containerNumber] ?? "1");
  const first = found.sort((a, b) => replica(a) - replica(b))[0];
  return first?.Names[0]?.replace(/^\//, "");
}
