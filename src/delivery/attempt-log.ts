import { z } from "zod";

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
export const ATTEMPT_LOG = { orderBy: { number: "asc" } } as const;

export function toAttemptLog(rows: AttemptRow[]): DeliveryAttemptView[] {
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
