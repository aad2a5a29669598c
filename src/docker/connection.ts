import Docker from "dockerode";
import { z } from "zod";
import { parseAnswer } from "./engine-answers.js";
import { type EngineCall, withSignal } from "./engine-call.js";

/**
 * The newest Engine API version this project is tested against (Engine 26.1, from Debian 13's docker.io,
 * which the test lab runs on both image stores).
 * Newer engines still serve it; we never ask for a version we have not run our tests on.
 */
export const NEWEST_TESTED_API_VERSION = "1.45";

const DEFAULT_SOCKET = "/var/run/docker.sock";

/** PEM text of the CA that signed the engine's certificate, and of our own certificate and key. */
export type EngineTls = { ca?: string | undefined; cert: string; key: string };

/** Where an engine is, for messages (`endpoint`), and how dockerode reaches it. */
interface DockerConnection {
  endpoint: string;
  modemOptions: Docker.DockerOptions;
}

export function parseDockerHost(host: string | undefined): DockerConnection {
  if (!host) return { endpoint: `unix://${DEFAULT_SOCKET}`, modemOptions: { socketPath: DEFAULT_SOCKET } };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    return { endpoint: host, modemOptions: { socketPath } };
  }
  if (host.startsWith("tcp://")) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return {
      endpoint: host,
      modemOptions: { host: url.hostname, port: Number(url.port), protocol: "http" },
    };
  }
  if (host.startsWith("npipe://")) {
    const socketPath = host.slice("npipe://".length);
    return { endpoint: host, modemOptions: { socketPath } };
  }
  throw new Error(`unsupported DOCKER_HOST ${JSON.stringify(host)}: expected unix://, tcp:// or npipe://`);
}

export function withTls(connection: DockerConnection, tls: EngineTls | undefined): DockerConnection {
  if (!tls || connection.modemOptions.socketPath) return connection;
  return { ...connection, modemOptions: { ...connection.modemOptions, protocol: "https", ...tls } };
}

export interface NegotiatedVersion {
  apiVersion: string;
  engineApiVersion: string;
  engineVersion: string;
  /** False when the engine no longer serves any version we tested, and we had to go above it. */
  tested: boolean;
}

/** A client that speaks the negotiated API version, and that version. */
export interface VersionedDocker {
  docker: Docker;
  version: NegotiatedVersion;
}

/**
 * The part of /version that negotiation reads. An engine that does not name the oldest version it
 * serves is taken to serve 1.12 on.
 */
const VersionAnswerSchema = z.object({
  ApiVersion: z.string(),
  Version: z.string().default(""),
  MinAPIVersion: z.string().default("1.12"),
});

/**
 * Asks the engine which API versions it serves and picks the newest we tested, at most `ceiling`.
 * `unversioned` is a client without a version prefix: /version answers without one on every engine.
 */
export async function negotiateApiVersion(
  connection: DockerConnection,
  ceiling: string,
  unversioned: Docker,
  call: EngineCall,
): Promise<VersionedDocker> {
  const answer = await call("version", (signal) => withSignal(unversioned.version, unversioned, signal));
  const info = parseAnswer(VersionAnswerSchema, answer, "version");
  const engineApiVersion = info.ApiVersion;
  const minimum = info.MinAPIVersion;
  let apiVersion = compareApiVersions(engineApiVersion, ceiling) < 0 ? engineApiVersion : ceiling;
  const tested = compareApiVersions(apiVersion, minimum) >= 0;
  // Engines drop old API versions over time; the fields we read have been stable, so follow the engine up.
  if (!tested) apiVersion = minimum;
  const version = { apiVersion, engineApiVersion, engineVersion: info.Version, tested };
  return { docker: new Docker({ ...connection.modemOptions, version: `v${apiVersion}` }), version };
}

/** Compares "1.41"-style API versions numerically (1.9 < 1.41). */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
