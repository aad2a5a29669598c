import type { FastifyReply } from "fastify";
import { z } from "zod";
import { createApiClient, deleteApiClient } from "../clients/api-clients.js";
import type { Storage } from "../db/storage.js";
import { failureReason, type OutboundPolicy, send, statusReason } from "../delivery/outbound.js";
import { DestinationRefused } from "../errors/domain-errors.js";
import type { Language } from "../schemas/language.js";
import { escapeHtml } from "../web/html.js";
import { sendFramablePage } from "./framable-page.js";
import { registerPlatform } from "./platforms.js";

/**
 * LTI Dynamic Registration 1.0 (1EdTech): the LMS admin pastes the tool's registration URL; the
 * platform opens it with where its configuration is and a one-time token; the tool reads the
 * configuration, registers itself at the platform's registration endpoint, and stores the platform
 * under an API client made for it alone.
 */

const PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration";
const TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration";
/** What the tool does at a platform: post scores (AGS) and read rosters (NRPS); the launch reads line items from the claim. */
const TOOL_SCOPES = [
  "https://purl.imsglobal.org/spec/lti-ags/scope/score",
  "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
];
/** The API client a registration creates: what an LMS's launches need, never engine:shared or admin. */
const REGISTERED_CLIENT_SCOPES = ["submissions:write", "progress:read"] as const;

export const RegistrationInitiationSchema = z.object({
  openid_configuration: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .describe("Where the platform's OpenID configuration is"),
  registration_token: z
    .string()
    .max(4000)
    .optional()
    .describe("A one-time token the tool sends back as Bearer to the registration endpoint"),
});
type RegistrationInitiation = z.infer<typeof RegistrationInitiationSchema>;

const EndpointUrl = z.url({ protocol: /^https?$/ }).max(2000);

/** The part of the platform's openid-configuration the tool reads (Dynamic Registration §3.5.1). */
const PlatformConfigurationSchema = z.object({
  issuer: EndpointUrl,
  authorization_endpoint: EndpointUrl,
  registration_endpoint: EndpointUrl,
  jwks_uri: EndpointUrl,
  token_endpoint: EndpointUrl,
  [PLATFORM_CONFIGURATION]: z.object({ product_family_code: z.string().max(200).optional() }).optional(),
});

/** The platform's answer to the registration (§3.6): the client_id it gave, and the deployment it made. */
const RegistrationAnswerSchema = z.object({
  client_id: z.string().min(1).max(255),
  [TOOL_CONFIGURATION]: z.object({ deployment_id: z.string().min(1).max(255).optional() }).optional(),
});

type RegistrationFailure = "configuration" | "unreachable" | "refused" | "taken";

/** Why a registration stopped: a fixed kind for the page, and the cause for the operators' log. */
export class RegistrationFailed extends Error {
  constructor(
    readonly kind: RegistrationFailure,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "RegistrationFailed";
  }
}

/** The registration the tool sends (§3.3), for the tool at `base`. */
function toolRegistration(base: string, productName: string) {
  const launchUrl = `${base}/lti/launch`;
  return {
    application_type: "web",
    response_types: ["id_token"],
    grant_types: ["implicit", "client_credentials"],
    initiate_login_uri: `${base}/lti/login`,
    redirect_uris: [launchUrl],
    client_name: productName,
    jwks_uri: `${base}/lti/jwks`,
    token_endpoint_auth_method: "private_key_jwt",
    scope: TOOL_SCOPES.join(" "),
    [TOOL_CONFIGURATION]: {
      domain: new URL(base).host,
      target_link_uri: launchUrl,
      claims: ["iss", "sub", "locale"],
      messages: [
        { type: "LtiResourceLinkRequest", target_link_uri: launchUrl },
        { type: "LtiDeepLinkingRequest", target_link_uri: launchUrl, label: productName },
      ],
    },
  };
}

async function fetchJson(url: string, init: Parameters<typeof send>[1], policy: OutboundPolicy) {
  let response: Awaited<ReturnType<typeof send>>;
  try {
    response = await send(url, init, policy);
  } catch (cause) {
    throw new RegistrationFailed("unreachable", `${url}: ${failureReason(cause)}`);
  }
  if (response.status < 200 || response.status >= 300) {
    throw new RegistrationFailed("refused", `${url}: ${statusReason(response.status)}`);
  }
  try {
    const answer: unknown = JSON.parse(response.body);
    return answer;
  } catch {
    throw new RegistrationFailed("configuration", `${url}: the answer is not JSON`);
  }
}

interface RegistrationDeps {
  storage: Storage;
  outbound: OutboundPolicy;
}

/**
 * Reads the platform's configuration, registers the tool there and stores the platform under a new
 * API client. Every request goes through the outbound module. The issuer must be https (unless
 * private URLs are allowed, as in tests and local setups) and the configuration must come from the
 * issuer's own origin, so that a configuration cannot speak for another platform.
 */
export async function registerDynamically(deps: RegistrationDeps, initiation: RegistrationInitiation, base: string) {
  const raw = await fetchJson(
    initiation.openid_configuration,
    { method: "GET", headers: { accept: "application/json" } },
    deps.outbound,
  ).catch((error: unknown) => {
    if (error instanceof RegistrationFailed && error.kind === "refused") {
      throw new RegistrationFailed("configuration", error.reason);
    }
    throw error;
  });
  const parsed = PlatformConfigurationSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegistrationFailed("configuration", `the configuration lacks or misstates ${fieldsOf(parsed.error)}`);
  }
  const configuration = parsed.data;
  const issuer = new URL(configuration.issuer);
  if (issuer.protocol !== "https:" && !deps.outbound.allowPrivateUrls) {
    throw new RegistrationFailed("configuration", `the issuer ${configuration.issuer} is not https`);
  }
  if (new URL(initiation.openid_configuration).origin !== issuer.origin) {
    throw new RegistrationFailed(
      "configuration",
      `the configuration's URL is not on its issuer's origin ${issuer.origin}`,
    );
  }
  const taken = await deps.storage.prisma.ltiPlatform.findFirst({
    where: { issuer: configuration.issuer },
    select: { id: true },
  });
  if (taken) throw new RegistrationFailed("taken", `the issuer ${configuration.issuer} is already registered`);

  const answer = RegistrationAnswerSchema.safeParse(
    await fetchJson(
      configuration.registration_endpoint,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...(initiation.registration_token ? { authorization: `Bearer ${initiation.registration_token}` } : {}),
        },
        body: JSON.stringify(toolRegistration(base, "Aprendiendo Docker")),
      },
      deps.outbound,
    ),
  );
  if (!answer.success)
    throw new RegistrationFailed("refused", `the registration's answer lacks ${fieldsOf(answer.error)}`);
  const deploymentId = answer.data[TOOL_CONFIGURATION]?.deployment_id;
  if (!deploymentId) {
    throw new RegistrationFailed("refused", "the platform's answer names no deployment_id: register it by hand");
  }

  const product = configuration[PLATFORM_CONFIGURATION]?.product_family_code;
  const { client } = await createApiClient(deps.storage, {
    name: `LTI ${product ? `${product} ` : ""}${issuer.host}`.slice(0, 200),
    scopes: [...REGISTERED_CLIENT_SCOPES],
  });
  try {
    const platform = await registerPlatform(
      deps.storage,
      {
        apiClientId: client.id,
        issuer: configuration.issuer,
        clientId: answer.data.client_id,
        deploymentIds: [deploymentId],
        authUrl: configuration.authorization_endpoint,
        tokenUrl: configuration.token_endpoint,
        jwksUrl: configuration.jwks_uri,
        serviceOrigins: [],
      },
      { allowPrivateUrls: deps.outbound.allowPrivateUrls },
    );
    return { platform, apiClient: client };
  } catch (error) {
    // A platform that cannot be stored leaves no API client behind.
    await deleteApiClient(deps.storage, client.id);
    if (!(error instanceof DestinationRefused)) throw error;
    // Another registration of this issuer and client_id landed since the check above.
    const kind = error.path === "body.clientId" ? "taken" : "configuration";
    throw new RegistrationFailed(kind, error.message);
  }
}

function fieldsOf(error: z.ZodError): string {
  return [...new Set(error.issues.map((issue) => issue.path.join(".") || "(the whole document)"))].join(", ");
}

const SUCCESS_SCRIPT = '(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");';

const WORDS: Record<
  Language,
  {
    doneTitle: string;
    done: (issuer: string) => string;
    client: string;
    next: string;
    failedTitle: string;
    failures: Record<RegistrationFailure, string>;
  }
> = {
  es: {
    doneTitle: "Aprendiendo Docker quedó registrado",
    done: (issuer) => `La plataforma ${issuer} ya puede abrir las lecciones y ejercicios de Aprendiendo Docker.`,
    client: "Cliente de API creado para esta plataforma",
    next: "Activa la herramienta en la plataforma si te lo pide y añádela a un curso. Quien administre Aprendiendo Docker puede ver el cliente de API con este identificador.",
    failedTitle: "No pudimos registrar Aprendiendo Docker",
    failures: {
      configuration:
        "La configuración de la plataforma no se pudo leer o no es válida. Comprueba la URL de registro y vuelve a intentarlo.",
      unreachable: "No pudimos conectar con la plataforma. Vuelve a intentarlo más tarde.",
      refused:
        "La plataforma rechazó el registro. Vuelve a empezar desde la plataforma: el token de registro solo sirve una vez.",
      taken:
        "Esta plataforma ya está registrada. Quien administre Aprendiendo Docker debe borrar el registro anterior antes de hacer uno nuevo.",
    },
  },
  en: {
    doneTitle: "Aprendiendo Docker is registered",
    done: (issuer) => `The platform ${issuer} can now open Aprendiendo Docker's lessons and exercises.`,
    client: "API client created for this platform",
    next: "Activate the tool on the platform if it asks you to, and add it to a course. Whoever runs Aprendiendo Docker can find the API client by this id.",
    failedTitle: "We could not register Aprendiendo Docker",
    failures: {
      configuration:
        "The platform's configuration could not be read or is not valid. Check the registration URL and try again.",
      unreachable: "We could not reach the platform. Try again later.",
      refused: "The platform refused the registration. Start again from the platform: a registration token works once.",
      taken:
        "This platform is already registered. Whoever runs Aprendiendo Docker must delete the old registration before a new one.",
    },
  },
};

const FAILURE_STATUS: Record<RegistrationFailure, number> = {
  configuration: 400,
  unreachable: 502,
  refused: 502,
  taken: 409,
};

/** Success: says so, names the API client (never a key), and tells the platform to close its window. */
export function registeredPage(
  reply: FastifyReply,
  language: Language,
  registered: { platform: { issuer: string }; apiClient: { id: string } },
  frameAncestors: readonly string[],
) {
  const words = WORDS[language];
  const body =
    `<h1>${escapeHtml(words.doneTitle)}</h1>\n<p>${escapeHtml(words.done(registered.platform.issuer))}</p>\n` +
    `<p>${escapeHtml(words.client)}: <code id="api-client">${escapeHtml(registered.apiClient.id)}</code></p>\n` +
    `<p>${escapeHtml(words.next)}</p>\n<script>${SUCCESS_SCRIPT}</script>`;
  return sendFramablePage(reply, {
    language,
    title: words.doneTitle,
    body,
    frameAncestors: [...frameAncestors, registered.platform.issuer],
    scripts: [SUCCESS_SCRIPT],
  });
}

/** A registration that stopped: what happened in plain words; the cause stays in the log. */
export function registrationFailedPage(
  reply: FastifyReply,
  language: Language,
  kind: RegistrationFailure,
  frameAncestors: readonly string[],
) {
  const words = WORDS[language];
  const body = `<h1>${escapeHtml(words.failedTitle)}</h1>\n<p id="reason">${escapeHtml(words.failures[kind])}</p>`;
  return sendFramablePage(reply, {
    status: FAILURE_STATUS[kind],
    language,
    title: words.failedTitle,
    body,
    frameAncestors,
  });
}
