import { createHash, randomBytes, randomUUID } from "node:crypto";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxScoreOf } from "../../src/grading/exercise.js";
import { signPickerContext } from "../../src/lti/picker.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  chooseThrough,
  deepLinkingResponseOf,
  INSTRUCTOR,
  type LaunchSpec,
  type LtiPlatformDouble,
  loginThrough,
  pickerFormOf,
  serveTool,
  startLtiPlatform,
} from "../support/lti-platform.js";

/**
 * The teacher's deep-linking picker, as Canvas shows it: the platform's issuer
 * (canvas.instructure.com) is on another origin than its login endpoint and its course pages, and no
 * FRAME_ANCESTORS is configured, so only what the platform itself says makes the pages framable.
 */
let t: TestApp;
let platform: LtiPlatformDouble;
const ISSUER = "https://canvas.example.test";
const secretsKey = randomBytes(32);
const EXERCISE = "alpine-una-vez";

beforeAll(async () => {
  platform = await startLtiPlatform();
  platform.issuer = ISSUER;
  t = await buildTestApp({ secretsKey, frameAncestors: [] });
  const admin = await createTestClient(t.prisma, ["admin"]);
  const lms = await createTestClient(t.prisma, ["submissions:write", "progress:read"]);
  await request(t.app.server)
    .post("/v1/lti/platforms")
    .set("authorization", admin.auth)
    .send(platform.registrationFor(lms.id))
    .expect(201);
  // The platform fetches the tool's JWKS over HTTP to verify a response, so the tool listens on a real port.
  await serveTool(t.app, platform);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

/** A teacher's deep-linking launch from a browser that says `acceptLanguage`: the tool's answer. */
async function openPicker(spec: Partial<LaunchSpec> = {}, acceptLanguage?: string) {
  const { stateCookie, posted } = await loginThrough(t.app.server, platform, {
    sub: "teacher",
    roles: [INSTRUCTOR],
    messageType: "LtiDeepLinkingRequest",
    ...spec,
  });
  const launch = request(t.app.server).post("/lti/launch").type("form").set("cookie", stateCookie);
  const picker = await (acceptLanguage ? launch.set("accept-language", acceptLanguage) : launch).send({
    id_token: posted.id_token,
    state: posted.state,
  });
  expect(picker.status, picker.text).toBe(200);
  return picker;
}

const contentItemsOf = (jwt: string) =>
  decodeJwt(jwt)["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] as {
    title: string;
    text: string;
    custom: { exercise_id?: string; lesson_slug?: string };
    lineItem?: { label: string; resourceId: string };
  }[];

/** A context token the tool signed at `issuedAt`, carrying what the picker's own token carries. */
async function contextSignedAt(picker: { text: string }, issuedAt: Date) {
  const { deep_linking } = decodeJwt(pickerFormOf(picker.text).context) as {
    deep_linking: Parameters<typeof signPickerContext>[1];
  };
  return signPickerContext({ storage: t.app.storage, secretsKey }, deep_linking, issuedAt);
}

const expectProblem = (response: request.Response, status: number) => {
  expect(response.status, response.text).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
};

describe("the picker speaks the teacher's language", () => {
  it("is in English for an English locale: module, lesson and exercise titles, and the items it places", async () => {
    // The platform's locale wins over the browser's language.
    const picker = await openPicker({ locale: "en-GB" }, "es-ES,es;q=0.9");
    expect(picker.text).toContain('<html lang="en">');
    expect(picker.headers["content-language"]).toBe("en");
    expect(picker.text).toContain("Choose what to add to the course");
    const { curriculum } = t.app;
    for (const module of curriculum.modules) expect(picker.text).toContain(`<legend>${module.title.en}</legend>`);
    const exercise = curriculum.exercises.get(EXERCISE);
    if (!exercise) throw new Error(`no exercise ${EXERCISE}`);
    const lesson = curriculum.lessons.find((candidate) => candidate.slug === exercise.lesson);
    const labels = new Map(pickerFormOf(picker.text).choices.map((choice) => [choice.id, choice.label]));
    expect(labels.get(`lesson:${exercise.lesson}`)).toBe(`Lesson: ${lesson?.title.en}`);
    const points = maxScoreOf(exercise);
    expect(labels.get(`exercise:${EXERCISE}`)).toBe(`Exercise: ${exercise.title.en} (${points} points)`);

    const chosen = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`]);
    expect(chosen.status, chosen.text).toBe(200);
    expect(chosen.text).toContain('<html lang="en">');
    expect(chosen.headers["content-language"]).toBe("en");
    expect(chosen.text).toContain("Send to the course");
    const [item] = contentItemsOf(deepLinkingResponseOf(chosen.text).jwt);
    expect(item).toMatchObject({
      title: exercise.title.en,
      text: exercise.outcome.en,
      lineItem: { label: exercise.title.en, resourceId: EXERCISE },
    });
  });

  it("is in Spanish for a Spanish locale, without one, and for a locale the course is not written in unless the browser asks for English", async () => {
    const exercise = t.app.curriculum.exercises.get(EXERCISE);
    for (const [locale, acceptLanguage] of [
      ["es_mx", "en-US,en;q=0.9"], // Moodle writes its locales with an underscore
      [undefined, undefined],
      ["fr-FR", "fr-FR,fr;q=0.9"],
    ] as const) {
      const picker = await openPicker(locale ? { locale } : {}, acceptLanguage);
      expect(picker.text, `${locale} ${acceptLanguage}`).toContain('<html lang="es">');
      expect(picker.text).toContain("Elige qué añadir al curso");
      const labels = new Map(pickerFormOf(picker.text).choices.map((choice) => [choice.id, choice.label]));
      expect(labels.get(`exercise:${EXERCISE}`)).toMatch(
        new RegExp(`^Ejercicio: ${exercise?.title.es} \\(\\d+ puntos?\\)$`),
      );
    }
    const fromBrowser = await openPicker({ locale: "fr-FR" }, "en-US,en;q=0.9");
    expect(fromBrowser.text).toContain('<html lang="en">');
  });
});

describe("signing when the teacher chooses", () => {
  it("a choice made 20 minutes after the picker opened still gets a fresh response the platform accepts", async () => {
    const picker = await openPicker();
    const own = decodeJwt(pickerFormOf(picker.text).context);
    expect((own.exp ?? 0) - (own.iat ?? 0)).toBe(3600);
    const opened = new Date(Date.now() - 20 * 60_000);
    const context = await contextSignedAt(picker, opened);
    expect(decodeJwt(context).iat).toBe(Math.floor(opened.getTime() / 1000));

    const chosenAt = Math.floor(Date.now() / 1000);
    const chosen = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`], context);
    expect(chosen.status, chosen.text).toBe(200);
    const { jwt } = deepLinkingResponseOf(chosen.text);
    const response = decodeJwt(jwt);
    expect(response.iat).toBeGreaterThanOrEqual(chosenAt);
    expect((response.exp ?? 0) - (response.iat ?? 0)).toBe(300);
    const lineItem = await platform.returnDeepLink(jwt);
    expect(lineItem.resourceId).toBe(EXERCISE);
  });

  it("a context token past its hour is refused with 401", async () => {
    const picker = await openPicker();
    const context = await contextSignedAt(picker, new Date(Date.now() - 61 * 60_000));
    const refused = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`], context);
    expectProblem(refused, 401);
    expect(refused.body.detail).toMatch(/expired/);
  });

  it("a tampered or forged context token is refused with 401", async () => {
    const picker = await openPicker();
    const token = pickerFormOf(picker.text).context;
    const [header, payload, signature = ""] = token.split(".");
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    // Another return URL in the payload, under the tool's signature: where a forger would send the response.
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as {
      deep_linking: { returnUrl: string };
    };
    claims.deep_linking.returnUrl = "https://attacker.example/return";
    const moved = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
    const stranger = await generateKeyPair("RS256");
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: randomUUID(), typ: "lti-dl-context+jwt" })
      .setIssuer("aprendiendo-docker:lti-picker")
      .setAudience("aprendiendo-docker:lti-picker")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(stranger.privateKey);
    // A deep-linking response is signed by the same key, but is not a picker's context.
    const response = deepLinkingResponseOf(
      (await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`])).text,
    ).jwt;
    for (const context of [[header, payload, flipped].join("."), moved, foreign, response]) {
      const refused = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`], context);
      expectProblem(refused, 401);
      expect(refused.body.detail).toMatch(/context token/);
    }
  });
});

describe("what the platform accepts", () => {
  it("accept_multiple: checkboxes, and one response with several content items the platform verifies with the tool's JWKS", async () => {
    const picker = await openPicker({ deepLinking: { acceptMultiple: true } });
    expect(pickerFormOf(picker.text).inputType).toBe("checkbox");
    const lesson = t.app.curriculum.lessons.find((candidate) => candidate.exercises.length >= 2);
    if (!lesson) throw new Error("no lesson with two exercises");
    const [first = "", second = ""] = lesson.exercises;
    const chosen = await chooseThrough(t.app.server, picker, [
      `exercise:${first}`,
      `lesson:${lesson.slug}`,
      `exercise:${second}`,
    ]);
    expect(chosen.status, chosen.text).toBe(200);
    const { jwt } = deepLinkingResponseOf(chosen.text);
    expect(contentItemsOf(jwt).map((item) => item.custom)).toEqual([
      { exercise_id: first },
      { lesson_slug: lesson.slug },
      { exercise_id: second },
    ]);
    // The platform verifies it with the tool's JWKS, fetched over HTTP, and makes a column per exercise.
    const lineItems = await platform.returnDeepLinks(jwt);
    expect(lineItems.map((item) => item.resourceId)).toEqual([first, second]);
  });

  it("without accept_multiple, a single choice: several items are a 400 naming the field", async () => {
    const picker = await openPicker({ deepLinking: { acceptMultiple: false } });
    expect(pickerFormOf(picker.text).inputType).toBe("radio");
    const refused = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`, "lesson:redes"]);
    expectProblem(refused, 400);
    expect(refused.body.errors[0].path).toBe("body.item");
  });

  it("accept_types without ltiResourceLink: a page saying nothing here can be added, in the teacher's language", async () => {
    for (const [locale, words] of [
      ["en", "Nothing here can be added"],
      ["es", "Aquí no hay nada que se pueda añadir"],
    ] as const) {
      const page = await openPicker({ locale, deepLinking: { acceptTypes: ["file", "html"] } });
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(page.text).toContain(`<html lang="${locale}">`);
      expect(page.text).toContain(words);
      expect(page.text).toContain("file, html");
      expect(page.text).not.toContain("<form");
    }
  });

  it("ids the course does not have, or none, are a 400 naming the field", async () => {
    const picker = await openPicker({ deepLinking: { acceptMultiple: true } });
    const cases: [string[], string][] = [
      [[`exercise:${EXERCISE}`, "exercise:no-such-exercise"], "body.item.1"],
      [["lesson:no-such-lesson"], "body.item"],
      [[EXERCISE], "body.item"],
      [[], "body.item"],
    ];
    for (const [items, path] of cases) {
      const refused = await chooseThrough(t.app.server, picker, items);
      expectProblem(refused, 400);
      expect(refused.body.errors[0].path, items.join(",")).toBe(path);
    }
    // Repeated fields are kept as lists: one named like an object's own property is a field like any other.
    const { context } = pickerFormOf(picker.text);
    const odd = await request(t.app.server)
      .post("/lti/deep-linking/response")
      .type("form")
      .send(`context=${context}&__proto__=a&__proto__=b&constructor=c&item=exercise%3Anope&item=exercise%3Anope`);
    expectProblem(odd, 400);
    expect(odd.body.errors[0].path).toBe("body.item.0");
  });
});

describe("pages the platform may frame", () => {
  it("name the issuer's origin, the login endpoint's and the return URL's in frame-ancestors, and run only their one script", async () => {
    const platformOrigin = new URL(platform.authUrl).origin;
    const picker = await openPicker();
    const nothing = await openPicker({ deepLinking: { acceptTypes: ["file"] } });
    const sent = await chooseThrough(t.app.server, picker, [`exercise:${EXERCISE}`]);
    for (const page of [picker, nothing, sent]) {
      const policy = String(page.headers["content-security-policy"]);
      expect(policy).toContain(`frame-ancestors 'self' ${ISSUER} ${platformOrigin}`);
      expect(page.headers["x-frame-options"]).toBeUndefined();
    }
    expect(String(picker.headers["content-security-policy"])).not.toContain("script-src");
    // The response page posts itself: its one inline script, allowed by hash, and the platform as the form's target.
    const scripts = [...sent.text.matchAll(/<script>([^<]*)<\/script>/g)].map((match) => match[1] ?? "");
    expect(scripts).toHaveLength(1);
    const hash = createHash("sha256")
      .update(scripts[0] ?? "")
      .digest("base64");
    const policy = String(sent.headers["content-security-policy"]);
    expect(policy).toContain(`script-src 'sha256-${hash}';`);
    expect(policy).toContain(`form-action 'self' ${platformOrigin};`);
    expect(deepLinkingResponseOf(sent.text).action).toBe(`${platformOrigin}/deep-link-return`);
  });
});
