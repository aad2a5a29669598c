import { isRecord } from "../schemas/guards.js";

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "57P01",
  "57P03",
]);
const PRISMA_UNREACHABLE_CODES = new Set(["P1001", "P1002", "P1017", "P2024"]);

/**
 * True when an error means "the database cannot be reached", as opposed to a bug or a
 * constraint violation. Prisma's driver adapters wrap the pg error, so look down the cause chain.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 6; depth++) {
    if (!isRecord(current)) return false;
    const candidate = current;
    if (typeof candidate.code === "string") {
      if (CONNECTION_ERROR_CODES.has(candidate.code) || PRISMA_UNREACHABLE_CODES.has(candidate.code)) return true;
    }
    if (typeof candidate.message === "string") {
      // pg's own deadline (query_timeout), and connections that died, as the driver adapter reports them.
      if (/Query read timeout|timeout exceeded when trying to connect|Connection terminated/i.test(candidate.message)) {
        return true;
      }
      if (
        candidate.name === "DriverAdapterError" &&
        /ECONNREFUSED|Connection terminated|connect|terminating connection/i.test(candidate.message)
      ) {
        return true;
      }
    }
    if (candidate.name === "PrismaClientInitializationError") return true;
    // Every pooled connection stayed busy for the whole wait: overloaded, so retry later (like P2024).
    // A transaction that outlived its timeout because the server stalled is the same condition, not a bug.
    if (
      candidate.code === "P2028" &&
      /Unable to start a transaction|expired transaction|Transaction already closed/i.test(String(candidate.message))
    ) {
      return true;
    }
    current = candidate.cause;
  }
  return false;
}
