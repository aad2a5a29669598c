import { IncomingMessage } from "node:http";
import { z } from "zod";
import type { PathStat } from "./container-facts.js";
import { parseAnswer, requestFailureOf, throwContainerStateError } from "./engine-answers.js";
import type { EngineClient } from "./engine-client.js";

/** HEAD …/archive answers with no body: the stat is in this header, JSON in base64. */
const PATH_STAT_HEADER = "x-docker-container-path-stat";

const ArchiveHeadSchema = z.instanceof(IncomingMessage);

/** The part of the engine's stat that checks read (its `name` and `mtime` are not). */
const PathStatSchema = z.object({
  size: z.number().default(0),
  mode: z.number().default(0),
  linkTarget: z.string().default(""),
});

export async function statPath(engine: EngineClient, name: string, path: string): Promise<PathStat | null> {
  const { target } = await engine.container(name);
  const description = `stat ${path} in ${name}`;
  return engine.call(description, async (signal) => {
    try {
      const answer = await target.infoArchive({ path, abortSignal: signal });
      const response = parseAnswer(ArchiveHeadSchema, answer, description);
      response.resume();
      const header = response.headers[PATH_STAT_HEADER];
      const json = Buffer.from(typeof header === "string" ? header : "", "base64").toString("utf8");
      return parseAnswer(PathStatSchema, JSON.parse(json || "{}"), description);
    } catch (error) {
      if (requestFailureOf(error).statusCode !== 404) throw error;
    }
    // A HEAD answer has no body to say which is missing, the path or the container: ask.
    try {
      await target.inspect({ abortSignal: signal });
    } catch (error) {
      throwContainerStateError(name, error);
    }
    return null;
  });
}
