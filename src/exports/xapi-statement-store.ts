import { keysetArgs, toPage } from "../db/keyset.js";
import type { Database } from "../db/prisma.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Page, PageQuery } from "../schemas/page.js";
import { type XapiStatement, XapiStatementSchema } from "./xapi.js";

/**
 * The only reader and writer of xapi_statements. A statement is frozen once: at grading time, or,
 * for a grade made before statements were stored, the first time it is read. Every later read gets
 * that same content, whatever has changed in the course or the client since.
 */

type Writer = Prisma.TransactionClient | Database;

/** What freezing needs of a submission: its id (the statement's) and its learner. */
interface GradedRecord {
  id: string;
  learnerId: string;
}

/** Stores the statement unless one is already frozen for its submission (then that one wins). */
async function freezeStatement(
  tx: Writer,
  owner: { clientId: string; learnerId: string },
  statement: XapiStatement,
): Promise<void> {
  if (!statement.id) throw new Error("a frozen statement needs its submission's id");
  await tx.xapiStatement.createMany({
    data: [
      {
        id: statement.id,
        clientId: owner.clientId,
        learnerId: owner.learnerId,
        statement: statement as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * The frozen statements of these submissions, in their order. Submissions without one get it
 * rendered by `render` and frozen now; the stored row is read back, so two readers racing to freeze
 * the same statement both answer whichever row committed.
 */
export async function frozenStatements<S extends GradedRecord>(
  db: Database,
  clientId: string,
  submissions: readonly S[],
  render: (submission: S) => XapiStatement,
): Promise<XapiStatement[]> {
  const ids = submissions.map((submission) => submission.id);
  let rows = await db.xapiStatement.findMany({ where: { clientId, id: { in: ids } } });
  const missing = submissions.filter((submission) => !rows.some((row) => row.id === submission.id));
  if (missing.length > 0) {
    for (const submission of missing) await freezeStatement(db, { clientId, ...submission }, render(submission));
    rows = await db.xapiStatement.findMany({ where: { clientId, id: { in: ids } } });
  }
  const byId = new Map(rows.map((row) => [row.id, XapiStatementSchema.parse(row.statement)]));
  return ids.map((id) => {
    const statement = byId.get(id);
    if (!statement) throw new Error(`statement ${id} was frozen but cannot be read back`);
    return statement;
  });
}

/** One submission's frozen statement (see frozenStatements). */
export async function frozenStatement<S extends GradedRecord>(
  db: Database,
  clientId: string,
  submission: S,
  render: (submission: S) => XapiStatement,
): Promise<XapiStatement> {
  const [statement] = await frozenStatements(db, clientId, [submission], render);
  if (!statement) throw new Error(`statement ${submission.id} is missing`);
  return statement;
}

/** A client's frozen statements in the order they were stored, as an LRS reads a statement stream. */
export async function listFrozenStatements(
  db: Database,
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
