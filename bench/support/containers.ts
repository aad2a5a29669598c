import Docker from "dockerode";
import pLimit from "p-limit";
import { parseDockerHost } from "../../src/docker/engine.js";
import { log } from "./processes.js";

/**
 * One running alpine container per simulated learner, on the engine DOCKER_HOST names (the
 * shared lab engine by default), created in parallel and removed afterwards.
 */
export async function createLearnerContainers(prefix: string, count: number) {
  const docker = new Docker(parseDockerHost(process.env.DOCKER_HOST).modemOptions);
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const limit = pLimit(4);
  const started = Date.now();
  await removeContainers(docker, names);
  await Promise.all(
    names.map((name) =>
      limit(async () => {
        const container = await docker.createContainer({
          name,
          Image: "alpine:latest",
          Cmd: ["tail", "-f", "/dev/null"],
          HostConfig: { NetworkMode: "none" },
        });
        await container.start();
      }),
    ),
  );
  log(`${count} learner containers running (${prefix}-0 … ${prefix}-${count - 1}) in ${Date.now() - started} ms`);
  return { names, remove: () => removeContainers(docker, names) };
}

async function removeContainers(docker: Docker, names: string[]) {
  const limit = pLimit(4);
  await Promise.all(
    names.map((name) =>
      limit(() =>
        docker
          .getContainer(name)
          .remove({ force: true })
          .catch(() => {}),
      ),
    ),
  );
}
