import { z } from "zod";
import { EngineUnavailable } from "../errors/domain-errors.js";
import type { ProcessList } from "./container-facts.js";
import { parseAnswer, requestFailureOf, throwContainerStateError } from "./engine-answers.js";
import type { EngineClient } from "./engine-client.js";
import { execFixed } from "./exec.js";
import { PS_ARGV, processListFromPs } from "./ps-output.js";

/** What `docker top` answers: the column titles, and each process's values in that order. */
const TopAnswerSchema = z.object({
  Titles: z.array(z.string()).nullish(),
  Processes: z.array(z.array(z.string())).nullish(),
});

/** Most bytes of `ps` output read when the engine cannot list a container's processes itself. */
const PS_MAX_BYTES = 256 * 1024;

/** The container's processes, as the engine lists them, or as the container's own `ps` does where the engine cannot. */
export async function top(engine: EngineClient, name: string): Promise<ProcessList> {
  const { target } = await engine.container(name);
  const listed = await engine.call(`top ${name}`, async (signal) => {
    try {
      const answer = parseAnswer(TopAnswerSchema, await target.top({ abortSignal: signal }), `top ${name}`);
      return { titles: answer.Titles ?? [], processes: answer.Processes ?? [] };
    } catch (error) {
      if (cannotListPids(error)) return error;
      throwContainerStateError(name, error);
    }
  });
  if (!(listed instanceof Error)) return listed;
  // A rootless engine on cgroup v1 has no cgroup of its own to read the container's pids from
  // (runc: "unable to get all container pids"), so the container lists them itself, in its own slot
  // and under the exec deadline.
  const ps = await execFixed(engine, name, PS_ARGV, { timeoutMs: engine.timeoutMs, maxBytes: PS_MAX_BYTES });
  if (ps.exitCode !== 0) {
    const why = ps.timedOut ? `ps timed out after ${ps.deadlineMs} ms` : `ps exited ${ps.exitCode}`;
    throw new EngineUnavailable(
      engine.endpoint,
      "it could not list the container's processes",
      `top ${name}: ${listed.message.split("\n")[0]}; ${why}: ${ps.text.slice(0, 200)}`,
      { cause: listed },
    );
  }
  return processListFromPs(ps.text, ps);
}

/** The engine's 500 when runc cannot find a container's pids: a rootless engine on cgroup v1 has no cgroups. */
function cannotListPids(error: unknown): error is Error {
  const { statusCode, message } = requestFailureOf(error);
  return error instanceof Error && statusCode === 500 && message !== undefined && /container pids/.test(message);
}
