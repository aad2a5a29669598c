import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Page, PageQuery } from "../schemas/page.js";

/** One try at sending a delivery, the same shape for webhooks, LRS statements and LTI scores. */
export const DeliveryAttemptSchema = z
  .object({
    number: z.number().int(),
    attemptedAt: z.iso.datetime(),
    statusCode: z
      .number()
      .int()
      .nullable()
      .describe("The receiver's HTTP status; null when it could not be reached or was refused"),
    error: z.string().nullable().describe("A fixed reason (status, timeout, refusal): never the receiver's reply"),
    durationMs: z.number().int(),
  })
  .meta({ id: "DeliveryAttempt" });
type DeliveryAttemptView = z.infer<typeof DeliveryAttemptSchema>;

type AttemptRow = {
  number: number;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
};

/** Reads rows with `include: { attemptLog: ATTEMPT_LOG }`: every attempt, oldest first. */
const ATTEMPT_LOG = { orderBy: { number: "asc" } } as const;

function toAttemptLog(rows: AttemptRow[]): DeliveryAttemptView[] {
  return rows.map((attempt) => ({
    number: attempt.number,
    attemptedAt: attempt.attemptedAt.toISOString(),
    statusCode: attempt.statusCode,
    error: attempt.error,
    durationMs: attempt.durationMs,
  }));
}

/** The newest attempt's status and error, as the LRS and LTI listings have always shown them. */
export function lastAttemptOf(rows: AttemptRow[]): { lastStatusCode: number | null; lastError: string | null } {
  const last = rows.at(-1);
  return { lastStatusCode: last?.statusCode ?? null, lastError: last?.error ?? null };
}

/** An outbox row as its listing reads it: what every outbox tracks of its sending. */
type DeliveryRow = {
  id: string;
  attempts: number;
  createdAt: Date;
  deliveredAt: Date | null;
  attemptLog: AttemptRow[];
};

/** The Prisma arguments of one page of deliveries: newest first, each with its attempts. */
type DeliveryPageArgs = ReturnType<typeof keysetArgs<"createdAt">> & { include: { attemptLog: typeof ATTEMPT_LOG } };

/**
 * One page of an outbox's deliveries, newest first, each with every attempt made so far: `find`
 * reads the rows (its own filter added to the page's `where`), `view` adds what its outbox alone has.
 */
export async function pageOfDeliveries<Row extends DeliveryRow, View>(
  page: PageQuery,
  find: (args: DeliveryPageArgs) => Promise<Row[]>,
  view: (row: Row) => View,
): Promise<Page<View & DeliverySending>> {
  const rows = await find({ ...keysetArgs("createdAt", "desc", page), include: { attemptLog: ATTEMPT_LOG } });
  return toPage(
    rows,
    page,
    (row) => row.createdAt,
    (row) => ({ ...sendingOf(row), ...view(row) }),
  );
}

type DeliverySending = ReturnType<typeof sendingOf>;

function sendingOf(row: DeliveryRow) {
  return {
    id: row.id,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    attemptLog: toAttemptLog(row.attemptLog),
  };
}
