import { createDockerEngine, type DockerEngine, type EngineOptions } from "../../../src/docker/engine.js";

/** Every container name the application asked the engine about, in order. */
export interface ObservedEngine {
  engine: DockerEngine;
  names: string[];
}

const NAMED_CALLS = new Set(["inspectContainer", "top", "logsTail", "execFixed"]);

/**
 * The real engine client, with each per-container call recorded before it runs, so a test can
 * prove what reached the engine (pass it to buildApp as `dockerEngine`).
 */
export function observeEngine(options: EngineOptions): ObservedEngine {
  const real = createDockerEngine(options);
  const names: string[] = [];
  const engine = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || !NAMED_CALLS.has(property) || typeof value !== "function") return value;
      return (name: string, ...rest: unknown[]) => {
        names.push(name);
        return (value as (...args: unknown[]) => unknown).call(target, name, ...rest);
      };
    },
  });
  return { engine, names };
}
