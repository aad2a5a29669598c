import { expect } from "vitest";

/** Stack frames, absolute paths of a checkout, dependency folders, file URLs. */
export const INTERNALS = /\bat .+\.(ts|js|mjs|cjs):\d+|\/work\/|\/home\/|\/root\/|node_modules|\bsrc\/|file:\/\//;

/**
 * Errors Fastify answers before routing, without calling the error handler: they are plain
 * application/json until buildApp passes a `frameworkErrors` option. Still 4xx, still no
 * internals; remove this allowance once that option exists.
 */
const ANSWERED_BEFORE_ROUTING = new Set(["FST_ERR_BAD_URL", "FST_ERR_MAX_PARAM_LENGTH"]);

export interface ObservedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Any answer to any input: never 5xx, never internals; a 4xx is problem+json naming its status. */
export function expectCleanAnswer(response: ObservedResponse, context: string): void {
  const where = `${context} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, where).toBeGreaterThanOrEqual(200);
  expect(response.statusCode, where).toBeLessThan(500);
  expect(response.body, where).not.toMatch(INTERNALS);
  if (response.statusCode < 400) return;
  const contentType = String(response.headers["content-type"] ?? "");
  const parsed = JSON.parse(response.body) as Record<string, unknown>;
  if (ANSWERED_BEFORE_ROUTING.has(String(parsed.code)) && contentType.startsWith("application/json")) return;
  expect(contentType, where).toMatch(/^application\/problem\+json/);
  expect(parsed, where).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status: response.statusCode,
    detail: expect.any(String),
  });
}
