import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config/config.js";

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
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "" }).port).toBe(3000);
  });
});
