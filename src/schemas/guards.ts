/**
 * Type guards for values whose shape is not known yet (caught errors, parsed JSON, request parts),
 * so that code narrows them by checking instead of asserting a type.
 */

/** Any object that is not null, arrays included: its properties can be read as unknown values. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The `code` of a caught error (errno names such as ENOENT, SQLSTATEs such as 28P01), if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === "string" ? error.code : undefined;
}
