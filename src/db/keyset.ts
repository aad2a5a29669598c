import { encodeCursor, type KeysetPosition, type Page, type PageQuery } from "../schemas/page.js";

type Direction = "asc" | "desc";

/**
 * Prisma arguments for one page of a keyset-paged list ordered by (sortField, id): the rows after
 * the cursor, in order, plus one more to tell whether another page follows.
 */
export function keysetArgs<F extends string>(sortField: F, direction: Direction, page: PageQuery) {
  const after = page.cursor;
  const beyond = <V>(value: V) => (direction === "asc" ? { gt: value } : { lt: value });
  return {
    where: after
      ? { OR: [field(sortField, beyond(after.at)), { ...field(sortField, after.at), id: beyond(after.id) }] }
      : {},
    orderBy: [field(sortField, direction), { id: direction }],
    take: page.limit + 1,
  };
}

/** Turns the `limit + 1` rows that keysetArgs fetched into a page and the cursor after it. */
export function toPage<Row extends { id: string }, Item>(
  rows: Row[],
  page: PageQuery,
  positionOf: (row: Row) => Date,
  toItem: (row: Row) => Item,
): Page<Item> {
  const visible = rows.slice(0, page.limit);
  const last = visible.at(-1);
  const next: KeysetPosition | undefined =
    rows.length > page.limit && last ? { at: positionOf(last), id: last.id } : undefined;
  return { items: visible.map(toItem), nextCursor: next ? encodeCursor(next) : null };
}

function field<F extends string, V>(name: F, value: V): Record<F, V> {
  // A computed key widens to `string`; the name is exactly F, which Prisma's where and orderBy need.
  return { [name]: value } as Record<F, V>;
}
