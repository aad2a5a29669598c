import { z } from "zod";

/** Docker's own rule for container names (daemon/names), plus its practical length cap. */
const CONTAINER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const CONTAINER_NAME_MAX_LENGTH = 128;

export const ContainerNameSchema = z
  .string()
  .max(CONTAINER_NAME_MAX_LENGTH)
  .regex(CONTAINER_NAME_PATTERN, "must match Docker's name rule ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
  .describe("A container name as Docker accepts it: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$, at most 128 characters.");

export function isValidContainerName(name: string): boolean {
  return name.length <= CONTAINER_NAME_MAX_LENGTH && CONTAINER_NAME_PATTERN.test(name);
}
