import { describe, expect, it } from "vitest";
import type { ContainerFacts } from "../../src/docker/container-facts.js";
import { planObservations } from "../../src/grading/checks.js";
import { INSPECT_ONLY, type Observations, RUNNING_SETTLES_MS } from "../../src/grading/observations.js";
import { exerciseWith, gradeInWords, observe, recordedFacts, recordedInspect } from "./recorded-inspect.js";

/** Grades one check (after `exists`) and returns its result. */
function grade(check: Record<string, unknown>, observations: Observations, language: "es" | "en" = "en") {
  const result = gradeInWords(exerciseWith(check), observations, language);
  const graded = result.checks[1];
  if (!graded) throw new Error("no result for the check under test");
  return { ...graded, grade: result };
}

describe("exists", () => {
  it("passes on the exact name the engine reports", () => {
    const result = gradeInWords(exerciseWith(), observe("example2-running.json"), "en");
    expect(result.checks[0]).toMatchObject({ passed: true, points: 1, feedback: "yes" });
  });

  it("fails when the engine resolved the name as an id prefix of someone else's container", () => {
    const facts = recordedFacts("example2-running.json");
    const prefix = facts.id.slice(0, 12);
    const result = gradeInWords(exerciseWith(), { containerName: prefix, facts }, "en");
    expect(result.checks[0]).toMatchObject({ passed: false, expected: prefix, actual: "example2-fixture-rec" });
  });
});

describe("state", () => {
  it("passes for the recorded running container", () => {
    expect(grade({ type: "state", status: "running" }, observe("example2-running.json")).passed).toBe(true);
  });

  it("fails for the killed one and says what it is", () => {
    const result = grade({ type: "state", status: "running" }, observe("example2-killed.json"));
    expect(result).toMatchObject({ passed: false, expected: "running", actual: "exited" });
    expect(result.feedback).toBe("expected running, saw exited");
  });

  it("believes a container a moment old is running only if the second look still finds it so", () => {
    const running = recordedFacts("example2-running.json");
    const young = { engineTime: new Date(Date.parse(running.startedAt) + 20).toISOString() };
    const check = { type: "state", status: "running" };
    const ended = { facts: recordedFacts("example2-killed.json") };
    expect(grade(check, observe("example2-running.json", { ...young, later: ended }))).toMatchObject({
      passed: false,
      actual: "exited",
    });
    expect(grade(check, observe("example2-running.json", { ...young, later: { facts: running } })).passed).toBe(true);
    expect(grade(check, observe("example2-running.json", { ...young, later: { facts: undefined } })).actual).toBe(
      "disappeared",
    );
  });

  it("asks for that second look only when the state asked for is running", () => {
    const plan = (status: string) => planObservations(exerciseWith({ type: "state", status }));
    expect(plan("running").stillRunningAfterMs).toBe(RUNNING_SETTLES_MS);
    expect(plan("exited").stillRunningAfterMs).toBe(0);
  });
});

describe("exitCode", () => {
  it("reads 137 after SIGKILL", () => {
    expect(grade({ type: "exitCode", equals: 137 }, observe("example2-killed.json"))).toMatchObject({
      passed: true,
      actual: "137",
    });
  });

  it("reads 0 after alpine's shell ends", () => {
    expect(grade({ type: "exitCode", equals: 0 }, observe("alpine-exited-0.json")).passed).toBe(true);
  });

  it("does not take a running container's leftover 0 for an exit code", () => {
    const result = grade({ type: "exitCode", equals: 0 }, observe("example2-running.json"));
    expect(result.passed).toBe(false);
    expect(result.actual).toContain("running");
  });
});

describe("image", () => {
  const facts = recordedFacts("alpine-exited-0.json");
  const alpine = {
    id: facts.imageId,
    repoTags: ["alpine:3.20", "alpine:latest"],
    repoDigests: [],
    cmd: ["/bin/sh"],
    entrypoint: null,
  };
  const check = (reference: string, extra: object = {}) => ({ type: "image", reference, ...extra });

  it("treats alpine, alpine:latest and docker.io/library/alpine:latest as the same image", () => {
    for (const reference of ["alpine", "alpine:latest", "docker.io/library/alpine:latest"]) {
      expect(grade(check(reference), observe("alpine-exited-0.json", { image: alpine })).passed).toBe(true);
    }
  });

  it("resolves an image typed by ID or digest to the tags it carries", () => {
    const byId = { containerName: facts.name, facts: { ...facts, image: facts.imageId.slice(7, 19) }, image: alpine };
    expect(grade(check("alpine"), byId)).toMatchObject({
      passed: true,
      actual: `${facts.imageId.slice(7, 19)} (tags: alpine:3.20, alpine:latest)`,
    });
    const pushed = { ...alpine, repoDigests: [`localhost:5000/alpine@sha256:${"a".repeat(64)}`] };
    const digest = `localhost:5000/alpine@sha256:${"a".repeat(64)}`;
    const byDigest = { containerName: facts.name, facts: { ...facts, image: digest }, image: pushed };
    expect(grade(check(digest), byDigest).passed).toBe(true);
  });

  it("fails when the tag typed has since moved to another image, and says what the image carries now", () => {
    const untagged = observe("alpine-exited-0.json", { image: { ...alpine, repoTags: [] } });
    expect(grade(check("alpine"), untagged)).toMatchObject({
      passed: false,
      actual: "docker.io/library/alpine:latest (tags: <none>)",
    });
    expect(grade(check("alpine"), observe("alpine-exited-0.json")).actual).toBe(
      "docker.io/library/alpine:latest (the image no longer exists)",
    );
  });

  it("with sameImageAs, tells a tag of that image from a look-alike under the same name", () => {
    const tag = check("mi-alpine:1.0", { sameImageAs: "alpine" });
    const tagged = { containerName: facts.name, facts: { ...facts, image: "mi-alpine:1.0" } };
    const same = { ...tagged, image: { ...alpine, repoTags: ["alpine:latest", "mi-alpine:1.0"] } };
    expect(grade(tag, same).passed).toBe(true);
    const other = { ...tagged, image: { ...alpine, id: "sha256:other", repoTags: ["mi-alpine:1.0"] } };
    expect(grade(tag, other)).toMatchObject({
      passed: false,
      expected: "docker.io/library/mi-alpine:1.0, the same image as docker.io/library/alpine:latest",
      actual: "docker.io/library/mi-alpine:1.0 (tags: mi-alpine:1.0)",
    });
  });
});

describe("command and entrypoint", () => {
  it("compares Config.Cmd argument by argument", () => {
    const observations = observe("example2-running.json");
    expect(grade({ type: "command", equals: ["tail", "-f", "/dev/null"] }, observations).passed).toBe(true);
    expect(grade({ type: "command", equals: ["tail", "-f"] }, observations)).toMatchObject({
      passed: false,
      actual: '["tail","-f","/dev/null"]',
    });
  });

  it("judges the program run, not how it was typed: entrypoint then command, a bare name on PATH", () => {
    const running = recordedFacts("example2-running.json");
    const asEntrypoint = { ...running, entrypoint: ["tail"], cmd: ["-f", "/dev/null"] };
    const check = { type: "command", equals: ["tail", "-f", "/dev/null"] };
    expect(grade(check, { containerName: running.name, facts: asEntrypoint }).passed).toBe(true);
    const byPath = { ...running, cmd: ["/bin/tail", "-f", "/dev/null"] };
    expect(grade(check, { containerName: running.name, facts: byPath }).passed).toBe(true);
    const shell = { type: "command", equals: ["/bin/sh"] };
    expect(grade(shell, { containerName: running.name, facts: { ...running, cmd: ["sh"] } }).passed).toBe(true);
    // Off the PATH the image sets, `sh` is not /bin/sh.
    const elsewhere = { ...running, cmd: ["sh"], env: new Map([["PATH", "/opt/tools"]]) };
    expect(grade(shell, { containerName: running.name, facts: elsewhere }).passed).toBe(false);
  });

  it("with fromImage, tells the image's own CMD from the same words typed on docker run", () => {
    const facts = recordedFacts("built-image-exited.json");
    const check = { type: "command", equals: facts.cmd ?? [], fromImage: true };
    const image = { id: facts.imageId, repoTags: ["saludo:1.0"], repoDigests: [], entrypoint: null };
    expect(grade(check, observe("built-image-exited.json", { image: { ...image, cmd: facts.cmd } })).passed).toBe(true);
    expect(grade(check, observe("built-image-exited.json", { image: { ...image, cmd: ["/bin/sh"] } }))).toMatchObject({
      passed: false,
      actual: `${JSON.stringify(facts.cmd)}, added on docker run (the image says ["/bin/sh"])`,
    });
  });

  it("sees the image's default CMD when the learner gave none", () => {
    expect(grade({ type: "command", equals: ["/bin/sh"] }, observe("alpine-exited-0.json")).passed).toBe(true);
  });

  it("reads an --entrypoint override, and null when there is none", () => {
    expect(grade({ type: "entrypoint", equals: ["/bin/sh"] }, observe("tagged-env-labels-restart.json")).passed).toBe(
      true,
    );
    expect(grade({ type: "entrypoint", equals: null }, observe("alpine-exited-0.json")).passed).toBe(true);
    expect(grade({ type: "entrypoint", equals: null }, observe("tagged-env-labels-restart.json")).passed).toBe(false);
  });
});

describe("interactive", () => {
  it("passes for -it and fails for a plain run", () => {
    expect(grade({ type: "interactive" }, observe("alpine-interactive-running.json")).passed).toBe(true);
    expect(grade({ type: "interactive" }, observe("alpine-exited-0.json"))).toMatchObject({
      passed: false,
      actual: "tty=false openStdin=false",
    });
  });

  it("fails for -t without -i", () => {
    expect(grade({ type: "interactive" }, observe("alpine-tty-exited.json"))).toMatchObject({
      passed: false,
      actual: "tty=true openStdin=false",
    });
  });
});

describe("portPublished", () => {
  const port8080 = { type: "portPublished", containerPort: 80, hostPort: 8080 };

  it("reads the binding while the container runs", () => {
    expect(grade(port8080, observe("nginx-8080-running.json")).passed).toBe(true);
  });

  it("still reads it after the container stopped, from HostConfig", () => {
    const observations = observe("nginx-8080-stopped.json");
    expect((recordedInspect("nginx-8080-stopped.json").NetworkSettings as { Ports: object }).Ports).toEqual({});
    expect(grade(port8080, observations).passed).toBe(true);
  });

  it("checks the host IP only when the exercise asks for one", () => {
    const observations = observe("nginx-8081-loopback.json");
    expect(grade({ ...port8080, hostPort: 8081 }, observations).passed).toBe(true);
    expect(grade({ ...port8080, hostPort: 8081, hostIp: "127.0.0.1" }, observations).passed).toBe(true);
    expect(
      grade({ ...port8080, hostPort: 8080, hostIp: "127.0.0.1" }, observe("nginx-8080-running.json")),
    ).toMatchObject({ passed: false, actual: "0.0.0.0:8080->80/tcp, :::8080->80/tcp" });
  });

  it("counts the port the engine bound from a requested range, and a stopped container's range that holds it", () => {
    const running = recordedFacts("nginx-8080-running.json");
    const range = { "80/tcp": [{ hostIp: "", hostPort: "8080-8081" }] };
    const boundTo = (hostPort: string) => ({ "80/tcp": [{ hostIp: "0.0.0.0", hostPort }] });
    const at = (facts: object) => ({ containerName: running.name, facts: { ...running, ...facts } });
    expect(grade(port8080, at({ portBindings: range, boundPorts: boundTo("8080") })).passed).toBe(true);
    expect(grade(port8080, at({ portBindings: range, boundPorts: boundTo("8081") }))).toMatchObject({
      passed: false,
      actual: "0.0.0.0:8081->80/tcp",
    });
    const stopped = { status: "exited", running: false, portBindings: range, boundPorts: {} };
    expect(grade(port8080, at(stopped)).passed).toBe(true);
  });

  it("fails for a container that never started, whatever it asked for: nothing was bound", () => {
    const running = recordedFacts("nginx-8080-running.json");
    const created = { ...running, status: "created", running: false, boundPorts: {} };
    expect(grade(port8080, { containerName: running.name, facts: created })).toMatchObject({
      passed: false,
      actual: "0.0.0.0:8080->80/tcp requested, but never bound: the container never started",
    });
  });

  it("says no port is published, in the learner's language", () => {
    expect(grade(port8080, observe("example2-running.json"), "es")).toMatchObject({ passed: false, actual: "ninguno" });
  });
});

describe("env", () => {
  const observations = observe("tagged-env-labels-restart.json");

  it("checks presence and value", () => {
    expect(grade({ type: "env", name: "APP_MODE" }, observations).passed).toBe(true);
    expect(grade({ type: "env", name: "APP_MODE", equals: "produccion" }, observations).passed).toBe(true);
    expect(grade({ type: "env", name: "MISSING" }, observations).passed).toBe(false);
  });

  it("never shows nor stores a value the learner chose", () => {
    const result = grade({ type: "env", name: "SECRET_TOKEN", equals: "otro" }, observations);
    expect(result.passed).toBe(false);
    expect(JSON.stringify(result.grade)).not.toContain("s3cr3t");
    expect(result.grade.evidence.checks["check-1"]).toEqual({
      envNames: ["APP_MODE", "SECRET_TOKEN"],
      present: true,
      matches: false,
    });
  });
});

describe("label", () => {
  it("reads labels set with --label", () => {
    const observations = observe("tagged-env-labels-restart.json");
    expect(grade({ type: "label", key: "com.docker.compose.service", equals: "web" }, observations).passed).toBe(true);
    expect(grade({ type: "label", key: "com.docker.compose.project", equals: "otra" }, observations)).toMatchObject({
      passed: false,
      actual: "com.docker.compose.project=tienda",
    });
  });

  it("reads labels inherited from a Dockerfile's LABEL", () => {
    const observations = observe("built-image-exited.json");
    expect(grade({ type: "label", key: "org.opencontainers.image.title", equals: "saludo" }, observations).passed).toBe(
      true,
    );
  });
});

describe("restartPolicy", () => {
  it("passes for the recorded --restart unless-stopped, fails elsewhere", () => {
    expect(
      grade({ type: "restartPolicy", name: "unless-stopped" }, observe("tagged-env-labels-restart.json")).passed,
    ).toBe(true);
    expect(grade({ type: "restartPolicy", name: "always" }, observe("example2-running.json"))).toMatchObject({
      passed: false,
      actual: "no",
    });
  });
});

describe("mount", () => {
  const observations = observe("volume-and-bind.json");

  it("finds a named volume by its name and destination", () => {
    expect(
      grade({ type: "mount", mountType: "volume", source: "fixture-rec-datos", destination: "/datos" }, observations)
        .passed,
    ).toBe(true);
  });

  it("finds a read-only bind mount and tells it from a volume", () => {
    const bind = { type: "mount", mountType: "bind", source: "/etc", destination: "/host-etc" };
    expect(grade({ ...bind, readOnly: true }, observations).passed).toBe(true);
    expect(grade({ ...bind, readOnly: false }, observations).passed).toBe(false);
    expect(grade({ ...bind, mountType: "volume" }, observations).passed).toBe(false);
  });

  it("lists what is mounted when the expected mount is missing", () => {
    const result = grade(
      { type: "mount", mountType: "volume", destination: "/datos" },
      observe("example2-running.json"),
    );
    expect(result).toMatchObject({ passed: false, actual: "none" });
  });
});

describe("network", () => {
  it("passes on a user-defined network and names the networks otherwise", () => {
    expect(grade({ type: "network", name: "fixture-rec-red" }, observe("user-network.json")).passed).toBe(true);
    expect(grade({ type: "network", name: "fixture-rec-red" }, observe("example2-running.json"))).toMatchObject({
      passed: false,
      actual: "bridge",
    });
  });
});

describe("processRunning", () => {
  const top = {
    titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
    processes: [["root", "6690", "6670", "0", "03:42", "?", "00:00:00", "tail -f /dev/null"]],
  };

  it("reads the CMD column of `top`", () => {
    const check = { type: "processRunning", commandContains: "tail -f /dev/null" };
    expect(grade(check, observe("example2-running.json", { processes: top })).passed).toBe(true);
    expect(
      grade({ ...check, commandContains: "httpd" }, observe("example2-running.json", { processes: top })),
    ).toMatchObject({ passed: false, actual: "tail -f /dev/null" });
  });

  it("fails with the engine's reason when the container is not running", () => {
    const observations = observe("example2-killed.json", { processes: { unobservable: "not-running" } });
    expect(grade({ type: "processRunning", commandContains: "tail" }, observations)).toMatchObject({
      passed: false,
      actual: "the container is exited",
    });
  });
});

describe("logsContain", () => {
  const check = { type: "logsContain", text: "servidor listo", tailLines: 10 };

  it("finds the text in the tail", () => {
    const logs = { text: "arrancando\nservidor listo\n", truncated: false };
    expect(grade(check, observe("tagged-env-labels-restart.json", { logs })).passed).toBe(true);
  });

  it("quotes the newest line when the text is not there", () => {
    const logs = { text: "arrancando\nerror: puerto ocupado\n", truncated: false };
    expect(grade(check, observe("tagged-env-labels-restart.json", { logs })).actual).toBe(
      'not found ("error: puerto ocupado")',
    );
  });

  it("only looks at the lines the check asks for", () => {
    const logs = { text: `servidor listo\n${"ruido\n".repeat(20)}`, truncated: false };
    expect(grade(check, observe("tagged-env-labels-restart.json", { logs })).passed).toBe(false);
  });
});

describe("stillRunning", () => {
  const check = { type: "stillRunning", afterMs: 1000 };
  const running = recordedFacts("example2-running.json");
  const startedMs = Date.parse(running.startedAt);
  const engineTimeAfter = (ms: number) => new Date(startedMs + ms).toISOString();

  it("passes on the engine's record alone once it has been up for afterMs, with no second look", () => {
    const observations = observe("example2-running.json", { engineTime: engineTimeAfter(1500) });
    expect(grade(check, observations)).toMatchObject({ passed: true, actual: "running for 1500 ms" });
  });

  it("for a younger container, lets the second look decide", () => {
    const young = { engineTime: engineTimeAfter(200) };
    expect(grade(check, observe("example2-running.json", { ...young, later: { facts: running } })).passed).toBe(true);
    const killed = { facts: recordedFacts("example2-killed.json") };
    expect(grade(check, observe("example2-running.json", { ...young, later: killed }))).toMatchObject({
      passed: false,
      actual: "exited",
    });
    const restarted = { facts: { ...running, startedAt: engineTimeAfter(900) } };
    expect(grade(check, observe("example2-running.json", { ...young, later: restarted }))).toMatchObject({
      passed: false,
      actual: "restarted",
    });
    expect(grade(check, observe("example2-running.json", { ...young, later: { facts: undefined } })).actual).toBe(
      "disappeared",
    );
  });

  it("fails a container its restart policy has had to start again, however long it has been up since", () => {
    const observations: Observations = {
      containerName: running.name,
      facts: { ...running, restartCount: 2 },
      engineTime: engineTimeAfter(60_000),
    };
    expect(grade(check, observations)).toMatchObject({ passed: false, actual: "restarted 2 times" });
  });

  it("fails a stopped container and says its state", () => {
    const observations = observe("example2-killed.json", { engineTime: engineTimeAfter(60_000) });
    expect(grade(check, observations)).toMatchObject({ passed: false, actual: "exited" });
  });
});

describe("exec", () => {
  const check = { type: "exec", argv: ["cat", "/datos/saludo.txt"], outputContains: "hola", imagesWithIt: ["alpine"] };
  const withExec = (outcome: object) => observe("volume-and-bind.json", { exec: { "check-1": outcome as never } });

  it("passes on exit code 0 and the expected output", () => {
    const result = grade(check, withExec({ text: "hola\n", truncated: false, exitCode: 0, timedOut: false }));
    expect(result).toMatchObject({ passed: true, actual: 'exit 0, output "hola"' });
  });

  it("fails on the wrong exit code, a timeout, or a stopped container", () => {
    const missing = { text: "cat: can't open '/datos/saludo.txt'\n", truncated: false, exitCode: 1, timedOut: false };
    expect(grade(check, withExec(missing)).passed).toBe(false);
    expect(grade(check, withExec({ text: "", truncated: false, exitCode: null, timedOut: true }))).toMatchObject({
      passed: false,
      actual: "did not finish in time",
    });
    expect(grade(check, withExec({ unobservable: "not-running" })).passed).toBe(false);
  });
});

describe("path", () => {
  const absent = { type: "path", path: "/src/herramientas.bin", exists: false };
  const withStat = (stat: object | null) => observe("volume-and-bind.json", { paths: { "check-1": stat as never } });

  it("passes when the engine finds no such path, and fails when it stats one", () => {
    expect(grade(absent, withStat(null))).toMatchObject({
      passed: true,
      actual: "/src/herramientas.bin does not exist",
    });
    expect(grade(absent, withStat({ size: 5242880, mode: 420, linkTarget: "" }))).toMatchObject({
      passed: false,
      expected: "/src/herramientas.bin does not exist",
      actual: "/src/herramientas.bin exists",
    });
  });

  it("asks for a path that exists the other way round", () => {
    const present = { ...absent, exists: true };
    expect(grade(present, withStat({ size: 4, mode: 420, linkTarget: "" })).passed).toBe(true);
    expect(grade(present, withStat(null)).passed).toBe(false);
  });

  it("fails, and says why, when the container vanished before its stat", () => {
    expect(grade(absent, withStat({ unobservable: "gone" }))).toMatchObject({ passed: false, actual: "disappeared" });
  });
});

describe("health", () => {
  it("reads the status the engine's health checks reached", () => {
    expect(grade({ type: "health", status: "healthy" }, observe("health-healthy.json"))).toMatchObject({
      passed: true,
      actual: "healthy",
    });
    expect(grade({ type: "health", status: "healthy" }, observe("health-unhealthy.json"))).toMatchObject({
      passed: false,
      actual: "unhealthy",
    });
  });

  it("says so when the container has no health check at all", () => {
    const result = grade({ type: "health", status: "healthy" }, observe("example2-running.json"), "es");
    expect(result).toMatchObject({ passed: false, actual: "sin health check" });
  });

  it("does not count the last status of a container that stopped: nothing checks it any more", () => {
    const facts = { ...recordedFacts("health-healthy.json"), status: "exited", running: false };
    const result = grade({ type: "health", status: "healthy" }, { containerName: facts.name, facts });
    expect(result).toMatchObject({ passed: false, actual: "the container is exited" });
  });
});

describe("oomKilled", () => {
  it("reads the kernel's out-of-memory kill of tail /dev/zero under -m 16m", () => {
    expect(grade({ type: "oomKilled" }, observe("oom-killed.json"))).toMatchObject({
      passed: true,
      actual: "OOMKilled=true",
    });
  });

  it("tells a kill -9 apart: the same 137, but not the kernel's doing", () => {
    const result = grade({ type: "oomKilled" }, observe("example2-killed.json"));
    expect(result).toMatchObject({ passed: false, expected: "OOMKilled=true", actual: "OOMKilled=false" });
  });

  it("believes only the engine's flag: a 137 under a memory limit without it is any SIGKILL, not the kernel's", () => {
    const recorded = observe("oom-killed.json");
    const withoutFlag = { ...recorded, facts: recorded.facts && { ...recorded.facts, oomKilled: false } };
    expect(grade({ type: "oomKilled" }, withoutFlag)).toMatchObject({ passed: false, actual: "OOMKilled=false" });
  });
});

describe("memoryLimit and cpuLimit", () => {
  it("read --memory 64m and --cpus 0.5 as the engine keeps them", () => {
    const locked = observe("limits-and-security.json");
    expect(grade({ type: "memoryLimit", bytes: 64 * 1024 ** 2 }, locked)).toMatchObject({
      passed: true,
      actual: "64m",
    });
    expect(grade({ type: "cpuLimit", cpus: 0.5 }, locked)).toMatchObject({ passed: true, actual: "0.5" });
    expect(grade({ type: "memoryLimit", bytes: 32 * 1024 ** 2 }, locked)).toMatchObject({
      passed: false,
      expected: "32m",
      actual: "64m",
    });
  });

  it("count --cpu-quota 25000 over the default 100 ms period as a quarter of a CPU", () => {
    expect(grade({ type: "cpuLimit", cpus: 0.25 }, observe("cpu-quota.json")).passed).toBe(true);
    expect(grade({ type: "cpuLimit", cpus: 0.5 }, observe("cpu-quota.json"))).toMatchObject({
      passed: false,
      actual: "0.25",
    });
  });

  it("say when there is no limit", () => {
    const result = grade({ type: "memoryLimit", bytes: 1024 ** 3 }, observe("example2-running.json"), "es");
    expect(result).toMatchObject({ passed: false, expected: "1g", actual: "sin límite" });
  });
});

describe("user", () => {
  it("passes --user 1000:1000 as not root, and as user 1000 with any group", () => {
    const locked = observe("limits-and-security.json");
    expect(grade({ type: "user" }, locked).passed).toBe(true);
    expect(grade({ type: "user", equals: "1000" }, locked).passed).toBe(true);
    expect(grade({ type: "user", equals: "1000:1000" }, locked).passed).toBe(true);
    expect(grade({ type: "user", equals: "1000:0" }, locked).passed).toBe(false);
  });

  it("takes no USER and no --user for root, and says why", () => {
    const result = grade({ type: "user" }, observe("example2-running.json"));
    expect(result).toMatchObject({
      passed: false,
      expected: "any user but root",
      actual: "root (neither USER nor --user says otherwise)",
    });
  });

  it("takes root by name or uid, with a group, for root", () => {
    const facts = recordedFacts("limits-and-security.json");
    for (const user of ["root", "0", "0:1000", "root:root"]) {
      const result = grade({ type: "user" }, { containerName: facts.name, facts: { ...facts, user } });
      expect(result, user).toMatchObject({ passed: false, actual: user });
    }
  });
});

describe("readOnlyRootfs", () => {
  it("reads --read-only", () => {
    expect(grade({ type: "readOnlyRootfs" }, observe("limits-and-security.json")).passed).toBe(true);
    expect(grade({ type: "readOnlyRootfs" }, observe("example2-running.json"))).toMatchObject({
      passed: false,
      actual: "ReadonlyRootfs=false",
    });
  });
});

describe("capDrop and capAdd", () => {
  // Recorded from `--cap-drop ALL --cap-add net_bind_service`; the engine keeps CAP_NET_BIND_SERVICE.
  const locked = observe("limits-and-security.json");

  it("count a dropped ALL for every capability not added back", () => {
    expect(grade({ type: "capDrop", includes: ["NET_RAW", "CHOWN"] }, locked).passed).toBe(true);
    expect(grade({ type: "capDrop", includes: ["NET_BIND_SERVICE"] }, locked).passed).toBe(false);
  });

  it("do not count ALL as dropped when one was added back, and say which", () => {
    expect(grade({ type: "capDrop", includes: ["ALL"] }, locked)).toMatchObject({
      passed: false,
      expected: "--cap-drop ALL",
      actual: "--cap-drop ALL --cap-add NET_BIND_SERVICE",
    });
    const onlyDropped = { ...recordedFacts("limits-and-security.json"), capAdd: [] };
    const result = grade(
      { type: "capDrop", includes: ["ALL"] },
      { containerName: onlyDropped.name, facts: onlyDropped },
    );
    expect(result).toMatchObject({ passed: true, actual: "--cap-drop ALL" });
  });

  it("match an added capability however it was typed", () => {
    expect(grade({ type: "capAdd", includes: ["NET_BIND_SERVICE"] }, locked)).toMatchObject({
      passed: true,
      expected: "--cap-add NET_BIND_SERVICE",
    });
  });

  it("fail with none dropped or added", () => {
    const plain = observe("example2-running.json");
    expect(grade({ type: "capDrop", includes: ["ALL"] }, plain)).toMatchObject({ passed: false, actual: "none" });
    expect(grade({ type: "capAdd", includes: ["NET_BIND_SERVICE"] }, plain).passed).toBe(false);
  });

  it("do not take one dropped capability for ALL", () => {
    const facts = { ...recordedFacts("limits-and-security.json"), capDrop: ["NET_RAW"], capAdd: [] };
    const result = grade({ type: "capDrop", includes: ["ALL"] }, { containerName: facts.name, facts });
    expect(result).toMatchObject({ passed: false, actual: "--cap-drop NET_RAW" });
  });
});

describe("evidence of the new checks", () => {
  it("keep exactly what each read, nothing more", () => {
    const locked = observe("limits-and-security.json");
    const result = gradeInWords(
      exerciseWith(
        { type: "user" },
        { type: "memoryLimit", bytes: 64 * 1024 ** 2 },
        { type: "capDrop", includes: ["NET_RAW"] },
        { type: "readOnlyRootfs" },
      ),
      locked,
      "en",
    );
    expect(result.evidence.checks).toEqual({
      existe: expect.any(Object),
      "check-1": { user: "1000:1000", privileged: false },
      "check-2": { memoryLimit: 64 * 1024 ** 2 },
      "check-3": { capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], privileged: false },
      "check-4": { readOnlyRootfs: true },
    });
  });
});

describe("imageFromRegistry", () => {
  const facts = recordedFacts("alpine-exited-0.json");
  const digest = `sha256:${"b".repeat(64)}`;
  const withDigests = (repoDigests: string[]) =>
    observe("alpine-exited-0.json", {
      image: {
        id: facts.imageId,
        repoTags: ["localhost:5000/mi-alpine:1.0"],
        repoDigests,
        cmd: ["/bin/sh"],
        entrypoint: null,
      },
    });
  const check = { type: "imageFromRegistry", repository: "localhost:5000/mi-alpine" };

  it("passes when the engine keeps a digest from that repository: it was pushed there or pulled from there", () => {
    expect(grade(check, withDigests([`localhost:5000/mi-alpine@${digest}`]))).toMatchObject({
      passed: true,
      actual: "localhost:5000/mi-alpine",
    });
  });

  it("fails for an image that was only tagged with the registry's name", () => {
    const result = grade(check, withDigests([]), "en");
    expect(result).toMatchObject({
      passed: false,
      expected: "localhost:5000/mi-alpine",
      actual: "alpine, never pushed to nor pulled from a registry",
    });
  });

  it("fails for an image pushed to another repository, and names it", () => {
    expect(grade(check, withDigests([`localhost:5000/alpine-mia@${digest}`]))).toMatchObject({
      passed: false,
      actual: "localhost:5000/alpine-mia",
    });
  });

  it("says so when the image is gone", () => {
    expect(grade(check, observe("alpine-exited-0.json")).actual).toBe("alpine (the image no longer exists)");
  });
});

describe("copiedIn", () => {
  const facts = recordedFacts("example2-running.json");
  const at = (action: string, containerId: string, atMs: number) => ({ action, name: "x", containerId, atMs });
  const observed = (events: Observations["events"]) => ({ containerName: "example2", facts, events });

  it("passes on a docker cp into this container", () => {
    const events = [at("create", facts.id, 1), at("start", facts.id, 2), at("extract-to-dir", facts.id, 3)];
    expect(grade({ type: "copiedIn" }, observed(events))).toMatchObject({ passed: true });
  });

  it("does not count a docker cp into another container", () => {
    const events = [at("create", facts.id, 1), at("extract-to-dir", "another-container", 3)];
    expect(grade({ type: "copiedIn" }, observed(events))).toMatchObject({
      passed: false,
      actual: "no docker cp into the container since it was created",
    });
  });

  it("says the engine forgot, not that no copy was made, when its log no longer reaches the creation", () => {
    const events = [at("exec_die", facts.id, 5), at("exec_die", "another-container", 6)];
    const result = grade({ type: "copiedIn" }, observed(events));
    expect(result.passed).toBe(false);
    expect(result.actual).toMatch(/no longer remembers the container's creation/);
  });
});

describe("removedByPrune", () => {
  const facts = recordedFacts("example2-running.json");
  const event = (action: string, name: string, atMs: number) => ({ action, name, containerId: `id-${name}`, atMs });
  const created = { action: "create", name: "guardado", containerId: facts.id, atMs: 500 };
  const observed = (events: Observations["events"]) => ({ containerName: "guardado", facts, events });
  const check = { type: "removedByPrune", names: ["basura-1", "basura-2"] };

  it("passes when a prune logged itself after both removals, on a busy engine seconds later", () => {
    const events = [
      created,
      event("destroy", "basura-1", 1000),
      event("destroy", "basura-2", 4000),
      event("prune", "", 6500),
    ];
    expect(grade(check, observed(events))).toMatchObject({ passed: true });
  });

  it("fails removals by docker rm that no prune followed, naming them", () => {
    const events = [created, event("destroy", "basura-1", 1000), event("destroy", "basura-2", 1100)];
    expect(grade(check, observed(events))).toMatchObject({
      passed: false,
      actual: "not removed by a prune: basura-1, basura-2",
    });
  });

  it("does not count a prune that came long after a removal by hand", () => {
    const events = [
      created,
      event("destroy", "basura-1", 1000),
      event("destroy", "basura-2", 60_000),
      event("prune", "", 61_000),
    ];
    expect(grade(check, observed(events))).toMatchObject({ passed: false, actual: "not removed by a prune: basura-1" });
  });

  it("says the engine forgot, not that no prune ran, when its log no longer reaches the creation", () => {
    const result = grade(check, observed([event("destroy", "basura-2", 4000), event("prune", "", 6500)]));
    expect(result.passed).toBe(false);
    expect(result.actual).toMatch(/no longer remembers the container's creation/);
  });
});

describe("logConfig", () => {
  // Recorded from `--log-driver json-file --log-opt max-size=10m --log-opt max-file=3`.
  const rotated = observe("hardened-rotated-logs.json");
  const check = { type: "logConfig", driver: "json-file", options: { "max-size": "10m", "max-file": "3" } };

  it("reads the driver and its options, sizes in either case", () => {
    expect(grade(check, rotated)).toMatchObject({ passed: true });
    expect(grade({ ...check, options: { "max-size": "10M" } }, rotated)).toMatchObject({ passed: true });
  });

  it("fails another driver or a missing option, showing both as flags", () => {
    expect(grade({ ...check, driver: "local" }, rotated)).toMatchObject({
      passed: false,
      expected: "--log-driver local --log-opt max-size=10m --log-opt max-file=3",
    });
    const sizeOnly = {
      ...recordedFacts("hardened-rotated-logs.json"),
      logConfig: { driver: "json-file", options: { "max-size": "10m" } },
    };
    expect(grade(check, { containerName: rotated.containerName, facts: sizeOnly })).toMatchObject({
      passed: false,
      actual: "--log-driver json-file --log-opt max-size=10m",
    });
  });
});

describe("securityOpt", () => {
  const hardened = recordedFacts("hardened-rotated-logs.json");
  const withOptions = (securityOpt: string[]) => ({
    containerName: hardened.name,
    facts: { ...hardened, securityOpt },
  });
  const check = { type: "securityOpt", includes: ["no-new-privileges"] };

  it("takes no-new-privileges however it was spelt", () => {
    expect(grade(check, observe("hardened-rotated-logs.json"))).toMatchObject({ passed: true });
    for (const spelt of ["no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"]) {
      expect(grade(check, withOptions([spelt])).passed, spelt).toBe(true);
    }
  });

  it("does not take it switched off, nor another option", () => {
    expect(grade(check, withOptions(["no-new-privileges:false"])).passed).toBe(false);
    expect(grade(check, withOptions(["seccomp=unconfined"]))).toMatchObject({
      passed: false,
      actual: "--security-opt seccomp=unconfined",
    });
    expect(grade(check, observe("example2-running.json"))).toMatchObject({ passed: false, actual: "none" });
  });
});

describe("mount by the end of its source, and mounts that must not be there", () => {
  const hardened = observe("hardened-rotated-logs.json");

  it("finds a bind mount by the end of its host path, wherever the folder is", () => {
    const check = { type: "mount", mountType: "bind", sourceEndsWith: "/inspect", destination: "/app/src" };
    expect(grade(check, hardened)).toMatchObject({ passed: true });
    expect(grade({ ...check, sourceEndsWith: "/src" }, hardened).passed).toBe(false);
  });

  it("with present: false, passes only when nothing matches, and names what does", () => {
    const noSocket = { type: "mount", mountType: "bind", sourceEndsWith: ".sock", present: false };
    expect(grade(noSocket, hardened)).toMatchObject({ passed: true, actual: "nothing mounted that way" });
    const withSocket = {
      ...recordedFacts("hardened-rotated-logs.json"),
      mounts: [{ type: "bind", source: "/run/docker.sock", destination: "/var/run/docker.sock", readOnly: false }],
    };
    expect(grade(noSocket, { containerName: hardened.containerName, facts: withSocket })).toMatchObject({
      passed: false,
      actual: "mounted: bind /run/docker.sock:/var/run/docker.sock:rw",
    });
  });
});

describe("env with present: false", () => {
  it("passes when the variable is not set at all, and never shows its value", () => {
    const check = { type: "env", name: "CLAVE_API", present: false };
    const facts = recordedFacts("tagged-env-labels-restart.json");
    expect(grade(check, { containerName: facts.name, facts })).toMatchObject({ passed: true });
    const leaked = { ...facts, env: new Map([...facts.env, ["CLAVE_API", "s3cr3t"]]) };
    const result = grade(check, { containerName: facts.name, facts: leaked });
    expect(result).toMatchObject({ passed: false, actual: "CLAVE_API set" });
    expect(JSON.stringify(result)).not.toContain("s3cr3t");
  });
});

describe("composeService", () => {
  const web = recordedFacts("example2-running.json");
  const inProject = { ...web, labels: { ...web.labels, "com.docker.compose.project": "contador" } };
  const redis = { ...recordedFacts("health-healthy.json"), name: "contador-redis-1" };
  const observed = (services: Record<string, ContainerFacts | null>, facts: ContainerFacts = inProject) => ({
    containerName: facts.name,
    facts,
    composeServices: services,
  });

  it("passes when the other service runs, and is healthy where health is asked for", () => {
    expect(grade({ type: "composeService", service: "redis" }, observed({ redis }))).toMatchObject({ passed: true });
    expect(grade({ type: "composeService", service: "redis", health: "healthy" }, observed({ redis }))).toMatchObject({
      passed: true,
      actual: "service redis: running, healthy",
    });
  });

  it("says which service has no container, in which project", () => {
    expect(grade({ type: "composeService", service: "redis" }, observed({ redis: null }))).toMatchObject({
      passed: false,
      actual: "no container for service redis in project contador",
    });
  });

  it("fails a service without a health check when health is asked for", () => {
    const plain = { ...recordedFacts("example2-running.json"), name: "contador-redis-1" };
    expect(
      grade({ type: "composeService", service: "redis", health: "healthy" }, observed({ redis: plain })),
    ).toMatchObject({ passed: false, actual: "service redis: running, no health check" });
  });

  it("says so when the graded container belongs to no Compose project", () => {
    expect(grade({ type: "composeService", service: "redis" }, observed({ redis: null }, web))).toMatchObject({
      passed: false,
      actual: "the container belongs to no Compose project",
    });
  });

  it("asks the engine for each service once", () => {
    const exercise = exerciseWith(
      { type: "composeService", service: "redis" },
      { type: "composeService", service: "redis", health: "healthy" },
    );
    expect(planObservations(exercise).composeServices).toEqual(["redis"]);
  });
});

describe("volumeReused", () => {
  const facts = recordedFacts("volume-and-bind.json");
  const check = { type: "volumeReused", destination: "/data" };
  const volume = { name: "contador_datos", createdAt: "2026-01-01T00:00:00Z" };
  const observed = (seen: Observations["volumes"]) => ({ containerName: facts.name, facts, volumes: seen });

  it("passes when another container mounted the volume before this one was created", () => {
    const mounts = [{ containerId: "an-earlier-container", atMs: 1 }];
    expect(grade(check, observed({ "check-1": { volume, mounts } }))).toMatchObject({ passed: true });
  });

  it("fails a volume no other container used, naming it", () => {
    expect(
      grade(check, observed({ "check-1": { volume, mounts: [{ containerId: facts.id, atMs: 1 }] } })).actual,
    ).toMatch(/contador_datos is new with this container/);
  });

  it("says the engine forgot when an old volume has no mounts on record", () => {
    expect(grade(check, observed({ "check-1": { volume, mounts: [] } })).actual).toMatch(
      /no longer remembers who mounted/,
    );
  });

  it("fails where no named volume is mounted there", () => {
    expect(grade(check, observed({ "check-1": null }))).toMatchObject({
      passed: false,
      actual: "no named volume at /data",
    });
  });
});

describe("historyOrder", () => {
  const facts = recordedFacts("built-image-exited.json");
  const step = (createdBy: string) => ({ createdBy });
  const cached = [
    step("WORKDIR /app"),
    step("COPY package.json package-lock.json ./ # buildkit"),
    step("RUN /bin/sh -c npm ci --omit=dev # buildkit"),
    step("COPY . . # buildkit"),
  ];
  const order = {
    type: "historyOrder",
    steps: [
      { matches: "^COPY package", shown: "COPY package*.json ./" },
      { matches: "^RUN .*npm (ci|install)", shown: "RUN npm ci" },
      { matches: "^COPY (\\.|\\./|src/?) ", shown: "COPY . ." },
    ],
  };

  it("finds the steps in their order, each after the one before", () => {
    expect(grade(order, { containerName: facts.name, facts, imageHistory: cached })).toMatchObject({ passed: true });
    const naive = [
      step("WORKDIR /app"),
      step("COPY . . # buildkit"),
      step("RUN /bin/sh -c npm ci --omit=dev # buildkit"),
    ];
    expect(grade(order, { containerName: facts.name, facts, imageHistory: naive })).toMatchObject({
      passed: false,
      actual: "no COPY package*.json ./ step",
    });
    const copiedTwice = [...naive.slice(0, 1), cached[1], ...naive.slice(1)].filter((s) => s !== undefined);
    expect(grade(order, { containerName: facts.name, facts, imageHistory: copiedTwice })).toMatchObject({
      passed: false,
      actual: "no COPY . . step after RUN npm ci",
    });
  });
});

describe("planObservations", () => {
  const theCheck = [expect.objectContaining({ id: "check-1" })];
  it.each([
    [{ type: "env", name: "PORT" }, {}],
    [{ type: "command", equals: ["node", "server.js"] }, {}],
    [{ type: "command", equals: ["node", "server.js"], fromImage: true }, { image: true }],
    [{ type: "image", reference: "nginx:1.27" }, { image: true }],
    [{ type: "imageFromRegistry", repository: "localhost:5000/contador" }, { image: true }],
    [{ type: "processRunning", commandContains: "node" }, { top: true }],
    [{ type: "logsContain", text: "listening", tailLines: 20 }, { logsTailLines: 20 }],
    [{ type: "stillRunning", afterMs: 2000 }, { stillRunningAfterMs: 2000 }],
    [{ type: "exec", argv: ["cat", "/datos/saludo.txt"], imagesWithIt: ["alpine"] }, { execs: theCheck }],
    [{ type: "path", path: "/datos" }, { paths: theCheck }],
    [{ type: "copiedIn" }, { events: true }],
    [{ type: "removedByPrune", names: ["viejo"] }, { events: true }],
    [{ type: "noRunAfterBase", base: "node:20-alpine" }, { histories: theCheck }],
    [
      {
        type: "historyOrder",
        steps: [
          { matches: "^COPY", shown: "COPY" },
          { matches: "^RUN", shown: "RUN" },
        ],
      },
      { imageHistory: true },
    ],
    [{ type: "composeService", service: "redis" }, { composeServices: ["redis"] }],
    [{ type: "volumeReused", destination: "/data" }, { volumes: theCheck }],
  ])("%o needs %o of the engine beyond the first inspect", (check, needs) => {
    expect(planObservations(exerciseWith(check))).toEqual({ ...INSPECT_ONLY, ...needs });
  });

  it("asks once for what several checks need: the longest tail and wait, every exec in order", () => {
    const exec = (argv: string[]) => ({ type: "exec", argv, imagesWithIt: ["alpine"] });
    const plan = planObservations(
      exerciseWith(
        { type: "logsContain", text: "a", tailLines: 50 },
        { type: "logsContain", text: "b", tailLines: 10 },
        { type: "stillRunning", afterMs: 3000 },
        { type: "state", status: "running" },
        exec(["true"]),
        exec(["false"]),
      ),
    );
    expect(plan).toMatchObject({ logsTailLines: 50, stillRunningAfterMs: 3000 });
    expect(plan.execs.map((check) => check.argv)).toEqual([["true"], ["false"]]);
  });
});
