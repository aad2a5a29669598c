import { randomUUID } from "node:crypto";
import { type CryptoKey, SignJWT } from "jose";
import { type OutboundPolicy, send, statusReason } from "./outbound.js";

/** The key the tool signs its client assertions with (LTI tool keys live in lti/tool-keys.ts). */
export type ToolSigningKey = () => Promise<{ kid: string; key: CryptoKey | Uint8Array }>;

/** The platform's side of a token request: the tool's client_id there, and its token endpoint. */
interface TokenEndpoint {
  platformClientId: string;
  tokenUrl: string;
}

/** The platform would not give a token; `reason` is fixed text, the platform's words go to the log only. */
export class TokenRefused extends Error {
  constructor(
    readonly statusCode: number | null,
    readonly reason: string,
    /** What the platform said, for the service's log only. */
    readonly said = "",
  ) {
    super(`token endpoint: ${reason}`);
  }
}

/**
 * A bearer token for one LTI service scope (AGS scores, NRPS memberships), got with a client-credentials
 * grant and a JWT assertion signed by the tool's key (LTI Security Framework §4.1). Sent through the
 * outbound module, like every request to a URL the service was given.
 */
export async function requestPlatformToken(
  platform: TokenEndpoint,
  scope: string,
  toolKey: ToolSigningKey,
  outbound: OutboundPolicy,
): Promise<{ accessToken: string; expiresInSeconds: number }> {
  const { kid, key } = await toolKey();
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setIssuer(platform.platformClientId)
    .setSubject(platform.platformClientId)
    .setAudience(platform.tokenUrl)
    .setIssuedAt()
    .setExpirationTime("5m")
    .setJti(randomUUID())
    .sign(key);
  const response = await send(
    platform.tokenUrl,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
        scope,
      }).toString(),
    },
    outbound,
  );
  if (response.status !== 200) {
    throw new TokenRefused(response.status, statusReason(response.status), response.body.slice(0, 500));
  }
  let answer: { access_token?: unknown; expires_in?: unknown } = {};
  try {
    answer = JSON.parse(response.body);
  } catch {}
  if (typeof answer.access_token !== "string") throw new TokenRefused(200, "answered without an access_token");
  return {
    accessToken: answer.access_token,
    expiresInSeconds: typeof answer.expires_in === "number" ? answer.expires_in : 3600,
  };
}
