import { describe, expect, it } from "vitest";
import { containerFactsFromInspect } from "../../src/docker/container-facts.js";
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
  it("treats alpine, alpine:latest and docker.io/library/alpine:latest as the same image", () => {
    for (const reference of ["alpine", "alpine:latest", "docker.io/library/alpine:latest"]) {
      expect(grade({ type: "image", reference }, observe("alpine-exited-0.json")).passed).toBe(true);
    }
  });

  it("tells a local tag from the image it was made from", () => {
    const observations = observe("tagged-env-labels-restart.json");
    expect(grade({ type: "image", reference: "fixture-rec-mi-alpine:1.0" }, observations).passed).toBe(true);
    expect(grade({ type: "image", reference: "alpine" }, observations)).toMatchObject({
      passed: false,
      expected: "docker.io/library/alpine:latest",
      actual: "docker.io/library/fixture-rec-mi-alpine:1.0",
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
    ).toMatchObject({ passed: false, actual: "0.0.0.0:8080->80/tcp" });
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
      actual: "the container is not running",
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
  const check = { type: "stillRunning", afterMs: 500 };
  const runningInspect = recordedInspect("example2-running.json");
  const running = containerFactsFromInspect(runningInspect);

  it("passes when the second inspect shows the same, unrestarted process", () => {
    const observations = observe("example2-running.json", { later: { afterMs: 500, facts: running } });
    expect(grade(check, observations).passed).toBe(true);
  });

  it("fails when the container stopped in between", () => {
    const later = { afterMs: 500, facts: recordedFacts("example2-killed.json") };
    expect(grade(check, observe("example2-running.json", { later }))).toMatchObject({
      passed: false,
      actual: "exited",
    });
  });

  it("fails when a restart policy brought it back in between", () => {
    const restarted = { ...running, restartCount: 1, startedAt: "2026-11-28T03:50:00.000000000Z" };
    const observations = observe("example2-running.json", { later: { afterMs: 500, facts: restarted } });
    expect(grade(check, observations)).toMatchObject({ passed: false, actual: "restarted" });
  });

  it("fails when the container was already stopped", () => {
    const observations = observe("example2-killed.json", { later: { afterMs: 500, facts: running } });
    expect(grade(check, observations).passed).toBe(false);
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
