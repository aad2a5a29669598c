import Docker from "dockerode";
import {
  type EngineTls,
  NEWEST_TESTED_API_VERSION,
  negotiateApiVersion,
  parseDockerHost,
  type VersionedDocker,
  withTls,
} from "./connection.js";
import { isValidContainerName } from "./container-name.js";
import { createEngineCalls, type EngineCall } from "./engine-call.js";
import { InvalidContainerNameError } from "./errors.js";

export interface EngineOptions {
  /** DOCKER_HOST form: unix:///path/to/docker.sock or tcp://host:port. Default: /var/run/docker.sock. */
  host?: string | undefined;
  timeoutMs: number;
  concurrency: number;
  /** The longest any exec may run, whatever its caller asks (absent: the caller's timeout alone). */
  execTimeoutMs?: number | undefined;
  apiVersionCeiling?: string;
  /** Client certificate for a tcp:// engine that requires TLS (dockerd --tlsverify); speaks https. */
  tls?: EngineTls | undefined;
}

/** One engine as each of its calls reaches it: its address, its slots and deadline, its negotiated API version. */
export interface EngineClient {
  readonly endpoint: string;
  readonly call: EngineCall;
  /** The engine's timeout for one call. */
  readonly timeoutMs: number;
  readonly execTimeoutMs: number | undefined;
  /** A client without a version prefix: /_ping and /version answer without one on every engine. */
  readonly unversioned: Docker;
  /** The client on the negotiated API version; the first call negotiates it. */
  versioned(): Promise<VersionedDocker>;
  /** A container by name, validated before anything reaches the engine, negotiation included. */
  container(name: string): Promise<{ docker: Docker; target: Docker.Container }>;
  close(): void;
}

export function createEngineClient(options: EngineOptions): EngineClient {
  const connection = withTls(parseDockerHost(options.host), options.tls);
  const ceiling = options.apiVersionCeiling ?? NEWEST_TESTED_API_VERSION;
  const { call, clearQueue } = createEngineCalls(connection.endpoint, options);
  const unversioned = new Docker(connection.modemOptions);
  let negotiated: Promise<VersionedDocker> | undefined;

  function versioned() {
    if (!negotiated) {
      negotiated = negotiateApiVersion(connection, ceiling, unversioned, call);
      // Retry on the next call instead of caching a failure: the engine may come up later.
      negotiated.catch(() => {
        negotiated = undefined;
      });
    }
    return negotiated;
  }

  return {
    endpoint: connection.endpoint,
    call,
    timeoutMs: options.timeoutMs,
    execTimeoutMs: options.execTimeoutMs,
    unversioned,
    versioned,
    async container(name) {
      if (!isValidContainerName(name)) throw new InvalidContainerNameError(name);
      const { docker } = await versioned();
      // dockerode puts the id into the path as it is; a name like ../images would reach another endpoint.
      return { docker, target: docker.getContainer(encodeURIComponent(name)) };
    },
    // The modem opens a connection per request and keeps no pool: only calls still queued remain to drop.
    close: clearQueue,
  };
}
