import { describe, expect, it } from "vitest";
import { ContainerExerciseSchema } from "../../src/grading/exercise.js";
import { deriveMutants } from "../../src/grading/mutants.js";

/** The mutants of a few accepted attempts, derived without an engine: what each change does to the lines. */

const text = { es: "x", en: "x" };
const exists = { id: "existe", type: "exists", points: 1, description: text, feedback: { pass: text, fail: text } };
const exercise = (accept: string[][], checks: object[] = []) =>
  ContainerExerciseSchema.parse({
    id: "prueba",
    lesson: "prueba",
    title: text,
    outcome: text,
    instructions: text,
    containerName: "caja",
    checks: [exists, ...checks],
    hints: [
      {
        when: { state: "missing" },
        text: { es: "`docker run --name {name} alpine`", en: "`docker run --name {name} alpine`" },
      },
    ],
    accept: accept.map((run, index) => ({ title: `accept ${index}`, run })),
    reject: [1, 2, 3].map((n) => ({
      title: `reject ${n}`,
      run: ["true"],
      fails: ["existe"],
      hints: [{ grader: "createdHint" }],
    })),
    cleanup: ["docker rm -f caja"],
  });
const byId = (accept: string[][], checks?: object[]) =>
  Object.fromEntries(deriveMutants(exercise(accept, checks)).map((mutant) => [mutant.id, mutant.run]));

describe("mutants of an accepted attempt", () => {
  it("drops each flag with its value, one letter of a cluster at a time, and never the name", () => {
    const mutants = byId([
      ["docker run -dit --name caja -p 8080:80 --read-only=true -e A='b c' alpine sh"],
      ["true"],
      ["true"],
    ]);
    expect(mutants["drop --detach"]).toEqual([
      "docker run -it --name caja -p 8080:80 --read-only=true -e A='b c' alpine sh",
    ]);
    expect(mutants["drop --tty"]).toEqual([
      "docker run -di --name caja -p 8080:80 --read-only=true -e A='b c' alpine sh",
    ]);
    expect(mutants["drop --publish 8080:80"]).toEqual([
      "docker run -dit --name caja --read-only=true -e A='b c' alpine sh",
    ]);
    expect(mutants["drop --read-only true"]).toEqual(["docker run -dit --name caja -p 8080:80 -e A='b c' alpine sh"]);
    expect(mutants["drop --env A='b c'"]).toEqual([
      "docker run -dit --name caja -p 8080:80 --read-only=true alpine sh",
    ]);
    expect(Object.keys(mutants).filter((id) => id.includes("--name"))).toEqual([]);
  });

  it("adds --privileged, swaps the image for a look-alike, and fakes the expected exit code", () => {
    const exitCode = { ...exists, id: "codigo", type: "exitCode", equals: 137 };
    const mutants = byId(
      [["docker container run --name caja alpine tail /dev/zero || true"], ["true"], ["true"]],
      [exitCode],
    );
    expect(mutants["add --privileged"]).toEqual([
      "docker container run --privileged --name caja alpine tail /dev/zero || true",
    ]);
    expect(mutants["image redis:7-alpine"]).toEqual([
      "docker container run --name caja redis:7-alpine tail /dev/zero || true",
    ]);
    expect(mutants["command sh -c 'exit 137'"]).toEqual([
      "docker container run --name caja alpine sh -c 'exit 137' || true",
    ]);
    expect(mutants["command sleep 600"]).toEqual(["docker container run --name caja alpine sleep 600 || true"]);
  });

  it("creates without starting, leaving out every later line that touches the container", () => {
    const mutants = byId([
      [
        "docker network create red",
        "docker run -d --rm --name caja --network red alpine sleep 9",
        "docker wait caja",
        "echo hecho",
      ],
      ["true"],
      ["true"],
    ]);
    expect(mutants["never started"]).toEqual([
      "docker network create red",
      "docker create --name caja --network red alpine sleep 9",
      "echo hecho",
    ]);
    expect(mutants["then docker pause"]?.at(-1)).toBe("docker pause caja");
    expect(mutants["skip docker wait"]).toHaveLength(3);
    // A network's flags are not a container's: `docker network create` gets no --privileged.
    expect(mutants["add --privileged"]?.[0]).toBe("docker network create red");
  });

  it("tags the wrong image with the right name: a look-alike, or the build's base left unbuilt", () => {
    const mutants = byId([
      [
        "printf 'FROM nginx:1.27-alpine\\nLABEL a=b\\n' > Dockerfile",
        "docker build -q -t sitio:2.0 .",
        "docker tag alpine mio:1",
        "docker run -d --name caja sitio:2.0",
      ],
      ["true"],
      ["true"],
    ]);
    expect(mutants["tag nginx:1.27-alpine as sitio:2.0"]?.[1]).toBe("docker tag nginx:1.27-alpine sitio:2.0");
    expect(mutants["tag redis:7-alpine as mio:1"]?.[2]).toBe("docker tag redis:7-alpine mio:1");
  });

  it("writes a copied file through docker exec instead, into the folder under the source's name when the target ends with /", () => {
    const mutants = byId([
      ["docker run -d --name caja alpine sleep 600", "echo hola > nota.txt", "docker cp nota.txt caja:/tmp/nota.txt"],
      ["docker run -d --name caja alpine sleep 600", "docker container cp ./nota.txt caja:/tmp/ && echo hecho"],
      ["true"],
    ]);
    expect(mutants["docker exec instead of docker cp"]).toEqual([
      "docker run -d --name caja alpine sleep 600",
      "echo hola > nota.txt",
      "docker exec -i caja sh -c 'cat > /tmp/nota.txt' < nota.txt",
    ]);
    const intoFolder = byId([
      ["docker run -d --name caja alpine sleep 600", "docker container cp ./nota.txt caja:/tmp/ && echo hecho"],
      ["true"],
      ["true"],
    ]);
    expect(intoFolder["docker exec instead of docker cp"]?.[1]).toBe(
      "docker exec -i caja sh -c 'cat > /tmp/nota.txt' < ./nota.txt && echo hecho",
    );
    // A tar stream on standard input, or a copy out of the container, has no one-line exec to match.
    const noExec = byId([
      ["docker run -d --name caja alpine sleep 600", "tar -cf - nota.txt | docker cp - caja:/tmp"],
      ["docker run -d --name caja alpine sleep 600", "docker cp caja:/etc/hostname ."],
      ["true"],
    ]);
    expect(noExec["docker exec instead of docker cp"]).toBeUndefined();
  });

  it("kills instead of stopping and stops instead of killing, only the graded container", () => {
    const stopped = byId([
      ["docker run -d --name caja alpine sleep 600", "docker stop -t 1 caja", "docker start caja"],
      ["true"],
      ["true"],
    ]);
    expect(stopped["docker kill instead of docker stop"]).toEqual([
      "docker run -d --name caja alpine sleep 600",
      "docker kill caja",
      "docker start caja",
    ]);
    const killed = byId([
      ["docker run -d --name otra alpine sleep 600", "docker kill otra", "docker run -d --name caja alpine sleep 600"],
      ["docker run -d --name caja alpine sleep 600", "docker container kill --signal=KILL caja || true"],
      ["true"],
    ]);
    // The first attempt kills another container: only the second's kill of caja becomes a stop.
    expect(killed["docker stop instead of docker kill"]).toEqual([
      "docker run -d --name caja alpine sleep 600",
      "docker stop -t 1 caja || true",
    ]);
  });

  it("creates and then starts instead of running, attached as the run was", () => {
    const detached = byId([
      ["docker run -d --rm --name caja -p 8080:80 nginx", "curl -s localhost:8080"],
      ["true"],
      ["true"],
    ]);
    expect(detached["docker create and start instead of docker run"]).toEqual([
      "docker create --name caja -p 8080:80 nginx",
      "docker start caja",
      "curl -s localhost:8080",
    ]);
    const attached = byId([["docker container run --name=caja alpine echo hola"], ["true"], ["true"]]);
    expect(attached["docker create and start instead of docker run"]).toEqual([
      "docker container create --name=caja alpine echo hola",
      "docker start -a caja",
    ]);
    // -it stays on the create line, so the test still gives the lines a terminal; start takes its input.
    const interactive = byId([["docker run -it --name caja alpine"], ["true"], ["true"]]);
    expect(interactive["docker create and start instead of docker run"]).toEqual([
      "docker create -it --name caja alpine",
      "docker start -ai caja",
    ]);
    // Another container's run is not the graded container's: it stays a run.
    const other = byId([
      ["docker run --name otra alpine true", "docker create --name caja alpine"],
      ["true"],
      ["true"],
    ]);
    expect(other["docker create and start instead of docker run"]).toBeUndefined();
  });

  it("derives each change once, and never an accepted attempt itself", () => {
    const mutants = deriveMutants(
      exercise([
        ["docker run -d --name caja alpine sleep 9"],
        ["docker run --name caja alpine sleep 9"],
        ["docker run -d --name caja -e A=1 alpine sleep 9"],
      ]),
    );
    const ids = mutants.map((mutant) => mutant.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Dropping -d from the first is the second accepted attempt, so not a mutant: the third yields it.
    expect(mutants.find((mutant) => mutant.id === "drop --detach")?.run).toEqual([
      "docker run --name caja -e A=1 alpine sleep 9",
    ]);
    // Dropping -e A=1 from the third is the first.
    expect(mutants.find((mutant) => mutant.id === "drop --env A=1")).toBeUndefined();
  });
});
