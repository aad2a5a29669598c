import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { MAX_ROSTER_PAGES } from "../../src/lti/names-roles.js";
import { buildTestApp, type TestApp } from "../helper.js";
import {
  INSTRUCTOR,
  LEARNER,
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  MEMBERSHIP_CONTAINER,
  NRPS_SCOPE,
  placeThrough,
  type RosterMember,
  registerWithTool,
  serveTool,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { fast } from "../support/webhook-steps.js";

/**
 * The class's roster from the platform (issue 25, item 4; LTI Names and Role Provisioning Services
 * 2.0), over real HTTP with the platform double: a teacher's launch reads the course's members in
 * pages with a token of the NRPS scope, and the class then lists the learners who never launched,
 * with their names, as not started. Teachers, inactive members and a teacher enrolled as a learner
 * too are not learners. A roster that cannot be read leaves the launch working, and says so.
 */
const QUESTIONS = "preguntas-que-es-docker";
const COURSE = "course-1";
const TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant";
const ROSTER: RosterMember[] = [
  { user_id: "ana", roles: [LEARNER], name: "Ana Ruiz", status: "Active" },
  { user_id: "profe", roles: [INSTRUCTOR], name: "Marta Profe" },
  { user_id: "ben", roles: [LEARNER], given_name: "Ben", family_name: "Ortega" },
  { user_id: "ayudante", roles: [TA], name: "Tomás Ayudante" },
  // LTI 1.3 allows a context role's simple name.
  { user_id: "carla", roles: ["Learner"], name: "Carla Gil" },
  { user_id: "ambos", roles: [INSTRUCTOR, LEARNER], name: "Profe y estudiante" },
  { user_id: "baja", roles: [LEARNER], name: "De baja", status: "Inactive" },
];
let t: TestApp;
let platform: LtiPlatformDouble;
let platformId: string;
let lms: { id: string; auth: string };
let item: LineItem;
const classPath = `/v1/lti/platforms/:platform/contexts/${COURSE}/class`;
const api = (suffix = "") =>
  request(t.app.server)
    .get(`${classPath.replace(":platform", platformId)}${suffix}`)
    .set("authorization", lms.auth);

function launch(sub: string, roles: string[]) {
  return launchThrough(t.app.server, platform, {
    sub,
    roles,
    custom: { exercise_id: QUESTIONS },
    placement: { resourceLinkId: `link-${item.id}`, lineItemId: item.id },
  });
}

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ ...fast({ maxAttempts: 30 }), secretsKey: randomBytes(32) });
  await serveTool(t.app, platform);
  ({ platformId, ...lms } = await registerWithTool(t, platform));
  platform.enrolled.add("ana");
  item = await platform.returnDeepLink(await placeThrough(t.app.server, platform, [`exercise:${QUESTIONS}`]), COURSE);
  platform.rosters.set(COURSE, ROSTER);
  platform.rosterPageSize = 2;
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

describe("a teacher's launch with NRPS", () => {
  it("reads the course's roster page by page with a token of the NRPS scope; a learner's launch does not", async () => {
    const landed = await launch("ana", [LEARNER]);
    expect(landed.status, landed.text).toBe(303);
    await request(t.app.server)
      .post(`/v1/exercises/${QUESTIONS}/submissions`)
      .set("authorization", lms.auth)
      .send({
        learnerId: learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, "ana"),
        answers: {
          "para-que-sirve": "en-mi-maquina-funciona",
          "tres-tareas": ["construccion", "distribucion", "ejecucion"],
          "comprobar-instalacion": "docker run hello-world",
        },
      })
      .expect(201);
    expect(platform.rosterReads).toEqual([]);

    const page = await launch("profe", [INSTRUCTOR]);
    expect(page.status, page.text).toBe(200);
    // Seven members at two a page: four pages, each asked for as a membership container.
    expect(platform.rosterReads.map((read) => read.status)).toEqual([200, 200, 200, 200]);
    expect(platform.rosterReads.every((read) => read.accept === MEMBERSHIP_CONTAINER)).toBe(true);
    expect(platform.rosterReads[0]?.url).toBe(`/courses/${COURSE}/memberships?limit=100`);
    expect(platform.rosterReads[3]?.url).toBe(`/courses/${COURSE}/memberships?limit=100&page=4`);
    expect(platform.tokenScopes).toContain(NRPS_SCOPE);

    expect(page.text).toContain("Este curso tiene 3 estudiantes; 1 ha abierto la actividad.");
    // By name, as a teacher looks a learner up: the launched one and the two who never launched.
    const learnersTable = page.text.slice(page.text.indexOf("Cada estudiante en cada ejercicio"));
    const rows = [...learnersTable.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>([^<]+)<\/td>/g)].map((row) => [
      row[1],
      row[2],
    ]);
    expect(rows).toEqual([
      ["Ana Ruiz", "Aprobado: 3/3, 1 intento"],
      ["Ben Ortega", "Sin empezar: 0/3, 0 intentos"],
      ["Carla Gil", "Sin empezar: 0/3, 0 intentos"],
    ]);
    for (const notALearner of ["Marta Profe", "Tomás Ayudante", "Profe y estudiante", "De baja"]) {
      expect(page.text).not.toContain(notALearner);
    }
  });

  it("is what the class API answers, from the stored roster: no call to the platform", async () => {
    const reads = platform.rosterReads.length;
    const summary = await api().expect(200);
    expect(summary.body.learners).toBe(3);
    expect(summary.body.roster).toMatchObject({ status: "read", reason: null });
    expect(Date.parse(summary.body.roster.readAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(summary.body.exercises[0].learners).toEqual({ notStarted: 2, attempted: 0, passed: 1 });

    // Who launched first; then whom the roster listed, all at once (so in no order among themselves).
    const first = await api("/learners").query({ limit: 2 }).expect(200);
    const second = await api("/learners").query({ limit: 2, cursor: first.body.nextCursor }).expect(200);
    expect(second.body.nextCursor).toBeNull();
    const [launched, ...listed] = [...first.body.items, ...second.body.items];
    expect(launched).toMatchObject({ sub: "ana", name: "Ana Ruiz", learnerId: expect.stringMatching(/^lti-/) });
    expect(listed.sort((a, b) => a.sub.localeCompare(b.sub))).toEqual(
      [
        ["ben", "Ben Ortega"],
        ["carla", "Carla Gil"],
      ].map(([sub, name]) =>
        expect.objectContaining({
          sub,
          name,
          learnerId: null,
          firstLaunchedAt: null,
          exercises: [expect.objectContaining({ status: "not-started", bestScore: 0, attempts: 0 })],
        }),
      ),
    );

    const csv = await api(".csv").expect(200);
    const lines = csv.text.split("\r\n");
    expect(lines[0]).toBe(
      "learnerId,sub,name,exerciseId,status,bestScore,maxScore,attempts,firstAttemptAt,firstPassedAt",
    );
    expect(lines).toContain(`,ben,Ben Ortega,${QUESTIONS},not-started,0,3,0,,`);
    expect(platform.rosterReads.length).toBe(reads);
  });

  it("is read again at the next teacher's launch: who left the class leaves it, who joined without a name is their sub", async () => {
    platform.rosters.set(COURSE, [
      ...ROSTER.filter((member) => member.user_id !== "carla"),
      { user_id: "dani", roles: [LEARNER] },
    ]);
    const page = await launch("profe", [INSTRUCTOR]);
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain("Este curso tiene 3 estudiantes; 1 ha abierto la actividad.");
    expect(page.text).not.toContain("Carla Gil");
    expect(page.text).toContain('<th scope="row">dani</th>');
    const learners = await api("/learners").expect(200);
    expect(
      learners.body.items.map((learner: { sub: string; name: string | null }) => [learner.sub, learner.name]),
    ).toEqual([
      ["ana", "Ana Ruiz"],
      ["ben", "Ben Ortega"],
      ["dani", null],
    ]);
  });
});

describe("a roster that cannot be read", () => {
  it("leaves the launch working: the page says so and shows who launched, and the API says why", async () => {
    platform.rosterFailure = 503;
    try {
      const page = await launch("profe", [INSTRUCTOR]);
      expect(page.status, page.text).toBe(200);
      expect(page.text).toContain(
        "No se pudo leer la lista de estudiantes de la plataforma: se muestra solo quién ha abierto la actividad.",
      );
      expect(page.text).toContain("1 estudiante ha abierto la actividad.");
      // Without a roster the tool knows her by her sub only.
      expect(page.text).toContain('<th scope="row">ana</th>');
      expect(page.text).not.toContain("Ben Ortega");
      const summary = await api().expect(200);
      expect(summary.body).toMatchObject({
        learners: 1,
        roster: { status: "failed", reason: "HTTP 503: the receiver failed" },
      });
    } finally {
      platform.rosterFailure = undefined;
    }
  });

  it("never follows a next page off the platform's origins, where its token would go", async () => {
    // The same double under another name: another origin, so the tool must not call it.
    platform.rosterNextOrigin = platform.issuer.replace("127.0.0.1", "localhost");
    try {
      const before = platform.rosterReads.length;
      const page = await launch("profe", [INSTRUCTOR]);
      expect(page.status, page.text).toBe(200);
      expect(platform.rosterReads.length - before).toBe(1);
      expect(page.text).toContain("No se pudo leer la lista de estudiantes de la plataforma");
      expect((await api().expect(200)).body.roster).toMatchObject({
        status: "failed",
        reason: "the roster's address is not on the registered platform's origin",
      });
    } finally {
      platform.rosterNextOrigin = undefined;
    }
  });

  it("does not refuse a launch whose NRPS claim is malformed: the class is who launched", async () => {
    const page = await launchThrough(t.app.server, platform, {
      sub: "profe",
      roles: [INSTRUCTOR],
      custom: { exercise_id: QUESTIONS },
      placement: { resourceLinkId: `link-${item.id}`, lineItemId: item.id },
      claims: { "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": { context_memberships_url: 42 } },
    });
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain("Tu clase: course-1");
  });

  it("is read only up to its page limit when its pages never end, and the page says it is partial", async () => {
    platform.rosterNeverEnds = true;
    try {
      const before = platform.rosterReads.length;
      const page = await launch("profe", [INSTRUCTOR]);
      expect(page.status, page.text).toBe(200);
      expect(platform.rosterReads.length - before).toBe(MAX_ROSTER_PAGES);
      expect(page.text).toContain("La lista de estudiantes de la plataforma es muy larga");
      expect((await api().expect(200)).body.roster.status).toBe("partial");
    } finally {
      platform.rosterNeverEnds = false;
    }
  });
});
