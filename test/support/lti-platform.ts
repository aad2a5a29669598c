import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

/**
 * An LTI 1.3 platform (what Moodle or Canvas play) over real HTTP, built with jose: its JWKS, and an
 * OIDC authorization endpoint that answers the tool's login redirect with the auto-posting form a
 * platform sends, carrying a signed id_token. Each test says who launches and how the token is
 * made (`nextLaunch`), including the broken tokens an attacker or a misconfigured platform sends.
 */
export interface LaunchSpec {
  sub: string;
  messageType?: "LtiResourceLinkRequest" | "LtiDeepLinkingRequest";
  custom?: Record<string, string>;
  /** Claims to add or override, e.g. a wrong aud. */
  claims?: JWTPayload;
  /** Seconds until expiry; negative: already expired. */
  expiresIn?: number;
  /** Sign with a key the JWKS does not publish (under its own kid). */
  unpublishedKey?: boolean;
  /** Flip a character of the signature after signing. */
  tamper?: boolean;
}

export interface LtiPlatformDouble {
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  nextLaunch: LaunchSpec;
  /** Follows the tool's redirect as a browser would: the form fields the platform posts back. */
  authorize(location: string): Promise<{ action: string; id_token: string; state: string }>;
  close(): Promise<void>;
}

export async function startLtiPlatform(): Promise<LtiPlatformDouble> {
  const published = await generateKeyPair("RS256");
  const unpublished = await generateKeyPair("RS256");
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(published.publicKey)), kid, alg: "RS256", use: "sig" };
  const server = createServer((request, response) => route(request, response).catch(() => send(response, 500, "")));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const double: LtiPlatformDouble = {
    issuer: base,
    clientId: `tool-${randomUUID()}`,
    deploymentId: "deployment-1",
    authUrl: `${base}/auth`,
    tokenUrl: `${base}/token`,
    jwksUrl: `${base}/jwks`,
    nextLaunch: { sub: "user-1" },
    async authorize(location) {
      const html = await (await fetch(location)).text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";
      return { action: /action="([^"]*)"/.exec(html)?.[1] ?? "", id_token: field("id_token"), state: field("state") };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function idToken(nonce: string): Promise<string> {
    const spec = double.nextLaunch;
    const key: CryptoKey = spec.unpublishedKey ? unpublished.privateKey : published.privateKey;
    const messageType = spec.messageType ?? "LtiResourceLinkRequest";
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: double.issuer,
      aud: double.clientId,
      sub: spec.sub,
      nonce,
      "https://purl.imsglobal.org/spec/lti/claim/message_type": messageType,
      "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
      "https://purl.imsglobal.org/spec/lti/claim/deployment_id": double.deploymentId,
      "https://purl.imsglobal.org/spec/lti/claim/roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
      ...(messageType === "LtiResourceLinkRequest"
        ? { "https://purl.imsglobal.org/spec/lti/claim/resource_link": { id: "resource-link-1" } }
        : {
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
              deep_link_return_url: `${base}/deep-link-return`,
              accept_types: ["ltiResourceLink"],
              data: "opaque-platform-data",
            },
          }),
      ...(spec.custom ? { "https://purl.imsglobal.org/spec/lti/claim/custom": spec.custom } : {}),
      ...spec.claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: spec.unpublishedKey ? randomUUID() : kid })
      .setIssuedAt(now - 5)
      .setExpirationTime(now + (spec.expiresIn ?? 300))
      .sign(key);
    if (!spec.tamper) return token;
    const [header, payload, signature = ""] = token.split(".");
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    return [header, payload, flipped].join(".");
  }

  async function route(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", base);
    if (url.pathname === "/jwks") return send(response, 200, JSON.stringify({ keys: [publicJwk] }), "application/json");
    if (url.pathname === "/auth") {
      const q = url.searchParams;
      // What a platform checks before it answers a login: its own client, the registered redirect, a nonce.
      const valid =
        q.get("client_id") === double.clientId &&
        q.get("response_type") === "id_token" &&
        q.get("response_mode") === "form_post" &&
        q.get("scope") === "openid" &&
        q.get("prompt") === "none" &&
        Boolean(q.get("nonce")) &&
        Boolean(q.get("login_hint"));
      if (!valid) return send(response, 400, "invalid authorization request");
      const form =
        `<form method="post" action="${q.get("redirect_uri")}">` +
        `<input type="hidden" name="id_token" value="${await idToken(q.get("nonce") ?? "")}">` +
        `<input type="hidden" name="state" value="${q.get("state")}"></form>`;
      return send(response, 200, form, "text/html");
    }
    return send(response, 404, "");
  }
  return double;
}

function send(response: ServerResponse, status: number, body: string, type = "text/plain") {
  response.writeHead(status, { "content-type": type });
  response.end(body);
}
