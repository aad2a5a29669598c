import { expect } from "vitest";

/** Stack frames, absolute paths of a checkout, dependency folders, file URLs. */
export const INTERNALS = /\bat .+\.(ts|js|mjs|cjs):\d+|\/work\/|\/home\/|\/root\/|node_modules|\bsrc\/|file:\/\//;

export interface ObservedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Any answer to any input: never 5xx; a 4xx is problem+json naming its status, with no internals. */
export function expectCleanAnswer(response: ObservedResponse, context: string): void {
  const where = `${context} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, where).toBeGreaterThanOrEqual(200);
  expect(response.statusCode, where).toBeLessThan(500);
  // Lessons may show paths such as /home/ana in example output; errors may not show ours.
  if (response.statusCode < 400) return;
  expect(response.body, where).not.toMatch(INTERNALS);
  const contentType = String(response.headers["content-type"] ?? "");
  const parsed = JSON.parse(response.body) as Record<string, unknown>;
  expect(contentType, where).toMatch(/^application\/problem\+json/);
  expect(parsed, where).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status: response.statusCode,
    detail: expect.any(String),
  });
}
