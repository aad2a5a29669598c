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

/**
 * The engine answered, but in a shape its API does not document: something else listens at its
 * address, or an engine changed an answer we read.
 */
export class UnreadableEngineAnswerError extends Error {
  constructor(
    readonly request: string,
    detail: string,
  ) {
    super(`the engine's answer to ${request} could not be read: ${detail}`);
    this.name = "UnreadableEngineAnswerError";
  }
}
