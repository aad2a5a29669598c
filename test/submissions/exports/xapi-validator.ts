import { createRequire } from "node:module";

// Learning Locker's validator is CommonJS with a default export; require() sidesteps ESM interop guesses.
const validate = createRequire(import.meta.url)("@learninglocker/xapi-validation").default as (
  statement: unknown,
) => unknown[];

/** Learning Locker's own statement validator: what its LRS would refuse, as a list of warnings. */
export function xapiWarnings(statement: unknown): unknown[] {
  return validate(statement);
}
