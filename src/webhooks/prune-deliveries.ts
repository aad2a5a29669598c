import type { Database } from "../db/prisma.js";

/** Delivered events stay listed (GET /v1/webhooks/{id}/deliveries) this long, then go with their attempts. */
export const DELIVERED_RETENTION_DAYS = 7;

/**
 * Deletes deliveries that succeeded more than DELIVERED_RETENTION_DAYS ago, so the outbox holds what
 * is pending, what failed, and a week of history, not every event ever sent. Any replica may run it.
 */
export async function pruneDeliveredWebhooks(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.webhookDelivery.deleteMany({
    where: {
      status: "delivered",
      deliveredAt: { lt: new Date(now.getTime() - DELIVERED_RETENTION_DAYS * 86_400_000) },
    },
  });
  return count;
}
