import { keysetArgs, toPage } from "../../db/keyset.js";
import type { Storage } from "../../db/storage.js";
import type { Prisma } from "../../generated/prisma/client.js";
import type { Page, PageQuery } from "../../schemas/page.js";
import { type XapiStatement, XapiStatementSchema } from "./xapi.js";

/**
 * xapi_statements: a statement is frozen once, at grading time (in the grading's own transaction,
 * submissions/grade-outbox.ts), or, for a grade made before statements were stored, here, the first
 * time it is read. Every later read gets that same content, whatever has changed in the course or
 * the client since.
 */

/** Stores the statement unless one is already frozen for its submission (then that one wins). */
export async function freezeStatement(
  { prisma: db }: Storage,
  owner: { clientId: string; learnerId: string },
  statement: XapiStatement,
): Promise<void> {
  if (!statement.id) throw new Error("a frozen statement needs its submission's id");
  await db.xapiStatement.createMany({
    data: [
      {
        id: statement.id,
        clientId: owner.clientId,
        learnerId: owner.learnerId,
        // An XapiStatement is plain JSON (XapiStatementSchema admits nothing else); Prisma's JSON input type cannot see that.
        statement: statement as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
}

/** The statements frozen for these submissions of a client, by submission id; a submission without one is absent. */
export async function findFrozenStatements(
  { prisma: db }: Storage,
  clientId: string,
  submissionIds: readonly string[],
): Promise<Map<string, XapiStatement>> {
  const rows = await db.xapiStatement.findMany({ where: { clientId, id: { in: [...submissionIds] } } });
  return new Map(rows.map((row) => [row.id, XapiStatementSchema.parse(row.statement)]));
}

/** A client's frozen statements in the order they were stored, as an LRS reads a statement stream. */
export async function listFrozenStatements(
  { prisma: db }: Storage,
  clientId: string,
  page: PageQuery,
): Promise<Page<XapiStatement>> {
  const { where, ...order } = keysetArgs("storedAt", "asc", page);
  const rows = await db.xapiStatement.findMany({ where: { clientId, ...where }, ...order });
  return toPage(
    rows,
    page,
    (row) => row.storedAt,
    (row) => XapiStatementSchema.parse(row.statement),
  );
}
