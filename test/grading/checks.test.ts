import { describe, expect, it } from "vitest";
import type { Observations } from "../../src/grading/observations.js";
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
  const check = { type: "exec", argv: ["cat", "/datos/saludo.txt"], outputContains: "hola" };
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
