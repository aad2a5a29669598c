import { ProblemSchema } from "../schemas/problem.js";

/** Responses every route behind an API key can give, for the OpenAPI document. */
export const authErrorResponses = {
  401: ProblemSchema.describe("No API key, or an unknown or revoked one (see WWW-Authenticate)"),
  403: ProblemSchema.describe("The API key lacks the scope named in `requiredScope`"),
  429: ProblemSchema.describe("Rate limit exceeded; retry after the Retry-After seconds"),
} as const;
