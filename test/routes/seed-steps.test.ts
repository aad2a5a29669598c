import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { docker, runAsLearner, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { submitGraded } from "./submit-graded.js";

/**
 * The seed tutorial's own steps, typed as it shows them and graded after each one. The only
 * change: `example2` gets a unique suffix, so parallel runs never share a container.
 */

let t: TestApp;
const containers: string[] = [];

beforeAll(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  if (containers.length > 0) await docker(["rm", "-f", ...containers.splice(0)]).catch(() => {});
});
afterAll(async () => {
  await t?.close();
});

function submit(exerciseId: string, containerName: string) {
  return submitGraded(t, { exerciseId, containerName, learnerId: "seed-learner" });
}

describe("Modo interactivo", () => {
  it("`docker run alpine` exits with 0; without --name the grader explains how to be found", async () => {
    const before = new Set((await docker(["ps", "-aq", "--no-trunc"])).split("\n"));
    await docker(["run", "alpine"]);
    // Other test files run containers meanwhile: remove only what `docker run alpine` leaves, an
    // exited alpine container under a name Docker generated (adjective_surname).
    const created = (await docker(["ps", "-aq", "--no-trunc"])).split("\n").filter((id) => id && !before.has(id));
    for (const id of created) {
      const [name, image] = (await docker(["inspect", "--format", "{{.Name}} {{.Config.Image}}", id])).split(" ");
      if (/^\/[a-z]+_[a-z]+\d*$/.test(name ?? "") && image === "alpine") containers.push(id);
    }
    expect(containers).toHaveLength(1);

    const name = `alpine-una-vez-${uniqueSuffix()}`;
    const unnamed = await submit("alpine-una-vez", name);
    expect(unnamed.checks[0]).toMatchObject({ id: "existe", passed: false });
    expect(unnamed.hints).toEqual([
      `${name} no existe todavía: créalo con \`docker run --name ${name} alpine\`. Sin \`--name\`, Docker le pone un nombre inventado y no podemos encontrarlo.`,
    ]);

    containers.push(name);
    await docker(["run", "--name", name, "alpine"]);
    const named = await submit("alpine-una-vez", name);
    expect(named).toMatchObject({ status: "passed", score: named.maxScore });
  });

  it("`docker run -it alpine` opens a terminal; leaving it ends the container", async () => {
    const name = `alpine-interactivo-${uniqueSuffix()}`;
    containers.push(name);
    await runAsLearner([`docker run -it --name ${name} alpine`]);
    expect(await docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name])).toBe("exited 0");
    const body = await submit("alpine-interactivo", name);
    expect(body).toMatchObject({ status: "passed", score: body.maxScore });
  });
});

describe("Ciclo de vida de un contenedor", () => {
  it("example2 stays up with tail -f /dev/null, then kill -9 of its PID leaves exit code 137", async () => {
    const example2 = `example2-${uniqueSuffix()}`;
    containers.push(example2);
    await docker(["run", "--name", example2, "-d", "alpine", "tail", "-f", "/dev/null"]);

    const running = await submit("example2-en-segundo-plano", example2);
    expect(running.checks.filter((c) => !c.passed)).toEqual([]);
    expect(running.status).toBe("passed");

    const notYet = await submit("example2-detenido-con-kill", example2);
    expect(notYet.checks.filter((c) => !c.passed).map((c) => c.id)).toEqual(["detenido", "codigo-sigkill"]);

    const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", example2]));
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, "SIGKILL"); // kill -9 PID, from the host, as the seed does
    expect(await docker(["wait", example2])).toBe("137");

    const killed = await submit("example2-detenido-con-kill", example2);
    expect(killed).toMatchObject({ status: "passed", score: killed.maxScore });
    expect(killed.checks.find((c) => c.id === "codigo-sigkill")?.feedback).toBe(
      "Código 137 = 128 + 9: su proceso murió por SIGKILL. ¡Perfecto!",
    );

    const afterKill = await submit("example2-en-segundo-plano", example2);
    expect(afterKill.checks.filter((c) => !c.passed).map((c) => c.id)).toEqual([
      "en-ejecucion",
      "proceso-tail",
      "sigue-vivo",
    ]);
  });

  it("kill without -9 does not stop example2: PID 1 ignores SIGTERM, and the hint says so", async () => {
    const example2 = `example2-${uniqueSuffix()}`;
    containers.push(example2);
    await docker(["run", "--name", example2, "-d", "alpine", "tail", "-f", "/dev/null"]);
    const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", example2]));
    process.kill(pid, "SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const body = await submit("example2-detenido-con-kill", example2);
    expect(body.checks.filter((c) => !c.passed).map((c) => c.id)).toEqual(["detenido", "codigo-sigkill"]);
    expect(body.hints[0]).toContain("¿Usaste `kill` sin `-9`?");
  });

  it("example2 created without a command exits at once", async () => {
    const example2 = `example2-${uniqueSuffix()}`;
    containers.push(example2);
    await docker(["run", "--name", example2, "-d", "alpine"]);
    await docker(["wait", example2]);
    const body = await submit("example2-en-segundo-plano", example2);
    expect(body.checks.filter((c) => !c.passed).map((c) => c.id)).toEqual([
      "comando",
      "en-ejecucion",
      "proceso-tail",
      "sigue-vivo",
    ]);
    expect(body.hints[0]).toMatch(/^El contenedor existe pero ya terminó: su proceso principal acabó\./);
  });
});
