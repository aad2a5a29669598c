import { z } from "zod";

/** Every list endpoint pages with the same two query parameters and answers `{ items, nextCursor }`. */
export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/**
 * Keyset position after the last item: the sort timestamp plus the id that breaks ties.
 * Opaque to callers, so the order can change without breaking them.
 */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const EncodedPositionSchema = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString("base64url");
}

function decodeCursor(cursor: string): KeysetPosition | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const parsed = EncodedPositionSchema.safeParse(decoded);
  if (!parsed.success) return undefined;
  const at = new Date(parsed.data[0]);
  // PostgreSQL's timestamp ends long after JavaScript's; a year past 9999 is nothing this API returned.
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999 || at.getUTCFullYear() < 1) return undefined;
  return { at, id: parsed.data[1] };
}

/** Decoded at the edge: a cursor this API did not return is a 400 naming `query.cursor`, never a 500 later. */
const CursorSchema = z
  .string()
  .max(512)
  .transform((cursor, context) => {
    const position = decodeCursor(cursor);
    if (position) return position;
    context.addIssue({ code: "custom", message: "is not a cursor this API returned" });
    return z.NEVER;
  });

export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, at most ${MAX_PAGE_SIZE}`),
  cursor: CursorSchema.optional().describe("The `nextCursor` of the previous page; omit for the first page"),
});

export type PageQuery = z.output<typeof PageQuerySchema>;

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  });
}

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}
