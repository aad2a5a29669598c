import type { z } from "zod";
import { MAX_PAGE_SIZE, PageQuerySchema, pageSchema } from "../schemas/page.js";
import { ProblemSchema } from "../schemas/problem.js";
import { authErrorResponses } from "./auth-responses.js";

interface PagedListOptions<Query extends z.ZodType> {
  /** A sentence the description adds after the paging rule. */
  note?: string;
  /** The page query with the list's own filters, when it has some. */
  query?: Query;
  /** When the list belongs to something that may not exist: what its 404 means. */
  notFound?: string;
}

/** The description, query and responses of a route that answers one page of a list of `item`. */
export function pagedList<Item extends z.ZodType, Query extends z.ZodType = typeof PageQuerySchema>(
  item: Item,
  pageId: string,
  options: PagedListOptions<Query> = {},
) {
  const rule = `Cursor-paginated: pass the previous page's nextCursor as cursor. At most ${MAX_PAGE_SIZE} per page.`;
  return {
    description: options.note ? `${rule} ${options.note}` : rule,
    // Without options.query, Query is its default, typeof PageQuerySchema: TypeScript cannot tie the two.
    querystring: (options.query ?? PageQuerySchema) as Query,
    response: {
      200: pageSchema(item).meta({ id: pageId }),
      400: ProblemSchema,
      ...(options.notFound ? { 404: ProblemSchema.describe(options.notFound) } : {}),
      ...authErrorResponses,
    },
  };
}
