import { Readable } from "node:stream";
import { z } from "zod";
import { ContainerStateError, UnreadableEngineAnswerError } from "./errors.js";

/**
 * What dockerode's error for a failed request carries: the engine's HTTP status and the message of
 * its JSON body, or the socket's error code. A field of another type is read as absent.
 */
const RequestFailureSchema = z.object({
  statusCode: z.number().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  json: z
    .object({ message: z.string().optional().catch(undefined) })
    .nullish()
    .catch(undefined),
});

type RequestFailure = z.output<typeof RequestFailureSchema>;

/** What a thrown value says of the request that failed; nothing, when it is no object. */
export function requestFailureOf(error: unknown): RequestFailure {
  const parsed = RequestFailureSchema.safeParse(error);
  return parsed.success ? parsed.data : {};
}

/** The engine's answer, or undefined when it says there is no such object (404). */
export async function unlessMissing(answer: Promise<unknown>): Promise<unknown> {
  try {
    return await answer;
  } catch (error) {
    if (requestFailureOf(error).statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * Throws a container that is gone (404) or cannot answer in its state (409) as ContainerStateError,
 * with the engine's own words; any other failure as it is.
 */
export function throwContainerStateError(name: string, error: unknown): never {
  const { statusCode, json } = requestFailureOf(error);
  if (statusCode === 404 || statusCode === 409) {
    throw new ContainerStateError(name, statusCode, json?.message ?? String(error));
  }
  throw error;
}

/** An answer as its schema reads it; an answer of another shape throws UnreadableEngineAnswerError. */
export function parseAnswer<Schema extends z.ZodType>(schema: Schema, answer: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw new UnreadableEngineAnswerError(what, z.prettifyError(parsed.error));
  return parsed.data;
}

const StreamSchema = z.instanceof(Readable);

/** A streamed answer (events, logs, exec output): dockerode hands over the HTTP response itself. */
export function streamAnswer(answer: unknown, what: string): Readable {
  return parseAnswer(StreamSchema, answer, what);
}
