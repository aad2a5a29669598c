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

/**
 * The same page as SQL, for lists read with plain pg: the cursor as a row comparison
 * `(column, id) < ($n, $n+1)`, which an index on (…, column, id) answers by seeking to the cursor
 * (the OR form of keysetArgs is filtered row by row). `firstParam` is the number of the first
 * placeholder it may use; `shape` tells statements with and without a cursor apart.
 */
export function keysetSql(sortColumn: string, direction: Direction, page: PageQuery, firstParam: number) {
  const after = page.cursor;
  const comparison = direction === "asc" ? ">" : "<";
  return {
    condition: after
      ? ` AND (${sortColumn}, id) ${comparison} ($${firstParam}::timestamptz AT TIME ZONE 'UTC', $${firstParam + 1}::uuid)`
      : "",
    params: after ? [after.at.toISOString(), after.id] : [],
    orderBy: `${sortColumn} ${direction.toUpperCase()}, id ${direction.toUpperCase()}`,
    limit: page.limit + 1,
    shape: `${direction}${after ? "-after" : ""}`,
  };
}

/** Turns the `limit + 1` rows that keysetArgs or keysetSql fetched into a page and the cursor after it. */
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
