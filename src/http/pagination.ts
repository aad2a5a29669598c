import { z } from "zod";
import { badRequest } from "../errors/problem.js";

/** Every list endpoint pages with the same two query parameters and answers `{ items, nextCursor }`. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, at most ${MAX_PAGE_SIZE}`),
  cursor: z.string().max(512).optional().describe("The `nextCursor` of the previous page; omit for the first page"),
});

export type PageQuery = z.infer<typeof PageQuerySchema>;

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  });
}

/**
 * Keyset position after the last item: the sort timestamp plus the id that breaks ties.
 * Opaque to callers, so the order can change without breaking them.
 */
export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const date = typeof at === "string" ? new Date(at) : new Date(Number.NaN);
    if (typeof id !== "string" || Number.isNaN(date.getTime())) throw new Error("shape");
    return { at: date, id };
  } catch {
    throw badRequest("cursor is not one this API returned", [{ path: "query.cursor", message: "is invalid" }]);
  }
}

/** Fetch `limit + 1` rows ordered by (at, id); this turns them into a page and its cursor. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  position: (row: Row) => Position,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const visible = rows.slice(0, limit);
  const last = visible.at(-1);
  return {
    items: visible.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null,
  };
}
