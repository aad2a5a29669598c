/** The engine could not be reached or did not answer in time: the caller should retry later. */
export class EngineUnavailableError extends Error {
  constructor(
    readonly engine: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Docker engine ${engine} is unavailable: ${reason}`, options);
    this.name = "EngineUnavailableError";
  }
}

/** A container name that Docker would reject, or that could address another engine endpoint. */
export class InvalidContainerNameError extends Error {
  constructor(readonly containerName: string) {
    super(`invalid container name ${JSON.stringify(containerName)}`);
    this.name = "InvalidContainerNameError";
  }
}

/**
 * The container exists but cannot answer this call in its current state (for example
 * `top` or `exec` on a stopped container), or it disappeared between two calls.
 */
export class ContainerStateError extends Error {
  constructor(
    readonly containerName: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ContainerStateError";
  }
}
