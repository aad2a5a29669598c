import type { LrsDeliveryStatus, LtiScoreDeliveryStatus, WebhookDeliveryStatus } from "../generated/prisma/enums.js";

/**
 * Each LRS status as the database holds it and the API shows it. A Prisma enum value must be an
 * identifier, so the schema maps already_stored to "already-stored": Prisma's client answers the
 * name, raw SQL the database's value. Keyed by the enum, so a value added there must be spelled here.
 */
export const LRS_DELIVERY_STATUS_VALUES = {
  pending: "pending",
  delivered: "delivered",
  already_stored: "already-stored",
  failed: "failed",
} as const satisfies Record<LrsDeliveryStatus, string>;
export type LrsDeliveryStatusValue = (typeof LRS_DELIVERY_STATUS_VALUES)[LrsDeliveryStatus];

/** A status an attempt settles a row of any outbox with, as the database holds it (raw SQL writes it). */
export type SettledStatus = Exclude<WebhookDeliveryStatus | LrsDeliveryStatusValue | LtiScoreDeliveryStatus, "pending">;
