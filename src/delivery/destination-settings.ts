import type { Config } from "../config/config.js";

/**
 * What registering a destination (a webhook, an LRS) depends on beyond its request: whether its URL
 * may point inward (DELIVERY_ALLOW_PRIVATE_URLS), and the key that seals its secret (SECRETS_KEY).
 */
export type DestinationSettings = { allowPrivateUrls: boolean; secretsKey: Buffer | undefined };

export const destinationSettings = (config: Pick<Config, "delivery" | "secretsKey">): DestinationSettings => ({
  allowPrivateUrls: config.delivery.allowPrivateUrls,
  secretsKey: config.secretsKey,
});
