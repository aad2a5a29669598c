import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { chooseLogOutput } from "../../src/logger.js";

describe("configuration", () => {
  it("defaults to port 3000 and no DATABASE_URL (the embedded database)", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    ["PORT", "eighty", /PORT="eighty": .*number/],
    ["PORT", "70000", /PORT="70000"/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL=.*postgresql/],
    ["DOCKER_HOST", "/var/run/docker.sock", /DOCKER_HOST=.*unix:\/\/\//],
    ["LOG_LEVEL", "loud", /LOG_LEVEL="loud"/],
    ["REQUIRE_AUTH", "maybe", /REQUIRE_AUTH="maybe"/],
    ["CORS_ORIGINS", "lms.example", /CORS_ORIGINS=.*origins/],
    ["LAB_ENGINE_ALLOWLIST", "http://10.0.0.5", /LAB_ENGINE_ALLOWLIST=.*unix:\/\/\//],
    ["SECRETS_KEY", "short", /SECRETS_KEY=.*64 hex/],
    ["AUTH_FAILURES_PER_MINUTE", "0", /AUTH_FAILURES_PER_MINUTE="0"/],
    ["AUTH_FAILURES_PER_MINUTE", "many", /AUTH_FAILURES_PER_MINUTE="many": .*number/],
    ["HEADERS_TIMEOUT_MS", "60000", /HEADERS_TIMEOUT_MS="60000": must not exceed REQUEST_TIMEOUT_MS/],
    ["MAX_CONNECTIONS", "0", /MAX_CONNECTIONS="0"/],
    ["MAX_CONNECTIONS_PER_ADDRESS", "0", /MAX_CONNECTIONS_PER_ADDRESS="0"/],
    ["TRUST_PROXY", "maybe", /TRUST_PROXY="maybe": expected false, true/],
    ["REDIS_URL", "127.0.0.1:6379", /REDIS_URL=.*redis:\/\//],
    ["WEBHOOK_LEASE_MS", "500", /WEBHOOK_LEASE_MS="500"/],
    ["DOCKER_EXEC_TIMEOUT_MS", "50", /DOCKER_EXEC_TIMEOUT_MS="50"/],
    [
      "GRADINGS_IN_FLIGHT_PER_LEARNER",
      "9",
      /GRADINGS_IN_FLIGHT_PER_LEARNER="9": must not exceed GRADINGS_IN_FLIGHT_PER_CLIENT/,
    ],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("keeps content public, CORS off and labs impossible unless configured", () => {
    const config = loadConfig({});
    expect(config.requireAuth).toBe(false);
    expect(config.corsOrigins).toEqual([]);
    expect(config.labEngineAllowlist).toEqual([]);
    expect(config.secretsKey).toBeUndefined();
  });

  it("parses the integration settings", () => {
    const config = loadConfig({
      REQUIRE_AUTH: "true",
      CORS_ORIGINS: "https://lms.example, http://localhost:5173",
      LAB_ENGINE_ALLOWLIST: "unix:///run/labs/*,tcp://127.0.0.1:2376",
      SECRETS_KEY: "ab".repeat(32),
    });
    expect(config.requireAuth).toBe(true);
    expect(config.corsOrigins).toEqual(["https://lms.example", "http://localhost:5173"]);
    expect(config.labEngineAllowlist).toEqual(["unix:///run/labs/*", "tcp://127.0.0.1:2376"]);
    expect(config.secretsKey).toHaveLength(32);
  });

  it("writes for people at a terminal and for collectors elsewhere, unless LOG_FORMAT or LOG_LEVEL say", () => {
    const output = (env: Record<string, string>, terminal: boolean) => chooseLogOutput(loadConfig(env), terminal);
    expect(output({}, true)).toEqual({ forPeople: true, level: "warn" });
    expect(output({}, false)).toEqual({ forPeople: false, level: "info" });
    expect(output({ LOG_FORMAT: "json" }, true)).toEqual({ forPeople: false, level: "info" });
    expect(output({ LOG_FORMAT: "pretty", LOG_LEVEL: "debug" }, false)).toEqual({ forPeople: true, level: "debug" });
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT="xml"/);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "" }).port).toBe(3000);
  });
});
