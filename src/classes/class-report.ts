import { z } from "zod";
import type { Curriculum } from "../content/load-curriculum.js";
import { keysetSql, toPage } from "../db/keyset.js";
import { type Sql, type Statement, statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { NotFound } from "../errors/domain-errors.js";
import { LtiContextRosterStatus } from "../generated/prisma/enums.js";
import { type Exercise, maxScoreOf } from "../grading/exercise.js";
import { GradedCheckSchema, HintRefSchema } from "../grading/grade.js";
import { localizeGrade } from "../grading/localize-grade.js";
import type { Language } from "../schemas/language.js";
import type { Page, PageQuery } from "../schemas/page.js";

/**
 * The teacher's view of one course (an LTI context of one platform): its learners, the exercises
 * placed in it, and how each learner does on each. A learner of the class is a user who launched
 * from the course with the Learner role (lti_context_learners), or one the platform's roster lists as
 * a learner of it (lti_context_members, read through NRPS at a teacher's launch: lti/names-roles.ts);
 * an exercise of the class is one placed in it (lti_placements). Every read is a fixed number of
 * statements, whatever the class size.
 */

const LearnerExerciseStatusSchema = z
  .enum(["not-started", "attempted", "passed"])
  .describe("not-started: no submission; attempted: submitted, never passed; passed: passed at least once");
type LearnerExerciseStatus = z.infer<typeof LearnerExerciseStatusSchema>;

const ClassCellSchema = z
  .object({
    exerciseId: z.string(),
    status: LearnerExerciseStatusSchema,
    bestScore: z.number().int().describe("0 when not started"),
    maxScore: z.number().int(),
    attempts: z.number().int(),
    firstAttemptAt: z.iso.datetime().nullable(),
    firstPassedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "ClassCell" });

export const ClassLearnerSchema = z
  .object({
    learnerId: z
      .string()
      .nullable()
      .describe("The learner id the tool gave this user (see learnerIdPrefix); null until their first launch"),
    sub: z.string().describe("The user's id on the platform (the launch's sub, the roster's user_id)"),
    name: z.string().nullable().describe("The user's name, as the platform's roster gives it; null when it does not"),
    firstLaunchedAt: z.iso
      .datetime()
      .nullable()
      .describe("The user's first launch from this course with the Learner role; null: listed by the roster only"),
    exercises: z.array(ClassCellSchema).describe("One per exercise of the class, in course order"),
  })
  .meta({ id: "ClassLearner" });
export type ClassLearner = z.infer<typeof ClassLearnerSchema>;

const ClassExerciseSchema = z
  .object({
    exerciseId: z.string(),
    lesson: z.string(),
    title: z.string().describe("In the negotiated language"),
    maxScore: z.number().int(),
    learners: z.object({
      notStarted: z.number().int(),
      attempted: z.number().int().describe("Submitted, never passed"),
      passed: z.number().int(),
    }),
    medianAttemptsToPass: z
      .number()
      .nullable()
      .describe("Of the learners who passed: the median of the attempts up to their first pass; null if none passed"),
    medianSecondsToPass: z
      .number()
      .nullable()
      .describe("Of the learners who passed: the median time from their first attempt to their first pass, in seconds"),
    failingChecks: z
      .array(
        z.object({
          checkId: z.string(),
          description: z.string().describe("In the negotiated language"),
          failures: z.number().int().describe("Submissions where this check ran and failed"),
          learners: z.number().int().describe("Learners who failed it at least once"),
        }),
      )
      .describe(
        "The checks that fail most often, most first (at most 3). A check that could not run because there was no container is not counted: the existence check says so",
      ),
    commonHint: z
      .object({
        text: z.string().describe("In the negotiated language, as its latest learner read it"),
        shown: z.number().int().describe("Submissions that showed it"),
      })
      .nullable()
      .describe("The hint shown most often; null when no submission showed one"),
  })
  .meta({ id: "ClassExercise" });
type ClassExercise = z.infer<typeof ClassExerciseSchema>;

const ClassRosterSchema = z
  .object({
    status: z
      .enum(LtiContextRosterStatus)
      .describe(
        "read: the class holds the learners the platform listed; partial: only its first pages (a very large course); failed: none, the class is who launched",
      ),
    reason: z.string().nullable().describe("Why it failed, in fixed words (never the platform's own)"),
    readAt: z.iso.datetime().describe("When a teacher's launch last read it"),
  })
  .nullable()
  .describe(
    "The course's roster from the platform (LTI Names and Role Provisioning Services), read at each teacher's launch that offers it; null when none has",
  )
  .meta({ id: "ClassRoster" });
export type ClassRoster = z.infer<typeof ClassRosterSchema>;

export const ClassSummarySchema = z
  .object({
    platformId: z.uuid(),
    contextId: z.string(),
    learners: z
      .number()
      .int()
      .describe("Users who launched from this course with the Learner role, and learners its roster lists"),
    roster: ClassRosterSchema,
    exercises: z.array(ClassExerciseSchema).describe("The exercises placed in this course, in course order"),
  })
  .meta({ id: "ClassSummary" });
export type ClassSummary = z.infer<typeof ClassSummarySchema>;

export interface ClassRef {
  clientId: string;
  platformId: string;
  contextId: string;
}

/** How many checks of an exercise the summary names. */
const FAILING_CHECKS_SHOWN = 3;
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The class, if this client's platform has it: its placed exercises and its number of learners. */
const readClass = statement<[clientId: string, platformId: string, contextId: string]>()(
  "read-class",
  `SELECT COALESCE((SELECT array_agg(DISTINCT p.exercise_id) FROM lti_placements AS p
                     WHERE p.platform_id = f.id AND p.context_id = $3), '{}') AS "exerciseIds",
          (SELECT count(*)::int FROM (
             SELECT m.sub FROM lti_context_learners AS m WHERE m.platform_id = f.id AND m.context_id = $3
             UNION SELECT r.sub FROM lti_context_members AS r WHERE r.platform_id = f.id AND r.context_id = $3
          ) AS everyone) AS learners,
          (SELECT json_build_object('status', r.status, 'reason', r.reason, 'readAt', to_char(r.read_at, ${ISO_UTC}))
             FROM lti_context_rosters AS r WHERE r.platform_id = f.id AND r.context_id = $3) AS roster
     FROM lti_platforms AS f
    WHERE f.id = $2::uuid AND f.client_id = $1::uuid`,
  z.object({ exerciseIds: z.array(z.string()), learners: z.number(), roster: ClassRosterSchema }),
);

/**
 * The learners of a class with their learner ids: $1 client, $2 platform, $3 context. Those who
 * launched from it, in the order of their first launch; then those only its roster lists, from when
 * it first listed them (a learner id when they launched elsewhere, else none). `since` and `id` are
 * the only ones in scope, as the keyset condition (db/keyset.ts) names them bare.
 */
const MEMBERS_SQL = `SELECT id, sub, since, first_launched_at, learner_id, name FROM (
       SELECT m.id, m.sub, m.first_launched_at AS since, m.first_launched_at, who.learner_id, r.name
         FROM lti_context_learners AS m
         JOIN lti_learners AS who ON who.platform_id = m.platform_id AND who.sub = m.sub
         LEFT JOIN lti_context_members AS r
           ON r.platform_id = m.platform_id AND r.context_id = m.context_id AND r.sub = m.sub
        WHERE m.platform_id = $2::uuid AND m.context_id = $3
       UNION ALL
       SELECT r.id, r.sub, r.listed_at, NULL, who.learner_id, r.name
         FROM lti_context_members AS r
         LEFT JOIN lti_learners AS who ON who.platform_id = r.platform_id AND who.sub = r.sub
        WHERE r.platform_id = $2::uuid AND r.context_id = $3
          AND NOT EXISTS (SELECT 1 FROM lti_context_learners AS m
                           WHERE m.platform_id = r.platform_id AND m.context_id = r.context_id AND m.sub = r.sub)
     ) AS everyone
    WHERE EXISTS (SELECT 1 FROM lti_platforms AS f WHERE f.id = $2::uuid AND f.client_id = $1::uuid)`;

/**
 * Per learner of the class and exercise ($4): attempts, best score, first attempt, first pass, and
 * the attempt that first passed. One pass over the learners' submissions of those exercises.
 */
const CELLS_SQL = `tried AS (
     SELECT s.learner_id, s.exercise_id, s.score, s.passed, s.graded_at, s.checks, s.hints, s.container_name,
            row_number() OVER (PARTITION BY s.learner_id, s.exercise_id ORDER BY s.graded_at, s.id) AS attempt
       FROM submissions AS s
      WHERE s.client_id = $1::uuid AND s.exercise_id = ANY($4::text[])
        AND s.learner_id IN (SELECT learner_id FROM members)
   ), cells AS (
     SELECT learner_id, exercise_id, count(*)::int AS attempts, max(score)::int AS best_score, bool_or(passed) AS passed,
            min(graded_at) AS first_attempt_at, min(graded_at) FILTER (WHERE passed) AS first_passed_at,
            min(attempt) FILTER (WHERE passed) AS attempts_to_pass
       FROM tried GROUP BY learner_id, exercise_id
   )`;

/** The class's item analysis in one statement: per exercise, learners' outcomes, medians, checks and hints. */
const readClassAnalysis = statement<[clientId: string, platformId: string, contextId: string, exerciseIds: string[]]>()(
  "read-class-analysis",
  `WITH members AS (${MEMBERS_SQL}), ${CELLS_SQL},
   outcomes AS (
     SELECT exercise_id AS "exerciseId", count(*)::int AS attempted, (count(*) FILTER (WHERE passed))::int AS passed,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY attempts_to_pass) AS "medianAttempts",
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_passed_at - first_attempt_at))
              AS "medianSeconds"
       FROM cells GROUP BY exercise_id
   ), failed AS (
     SELECT t.exercise_id AS "exerciseId", c.value ->> 'id' AS "checkId",
            (count(*) FILTER (WHERE c.value -> 'actual' <> 'null'::jsonb))::int AS seen,
            (count(*) FILTER (WHERE c.value -> 'actual' = 'null'::jsonb))::int AS blind,
            (count(DISTINCT t.learner_id) FILTER (WHERE c.value -> 'actual' <> 'null'::jsonb))::int AS "learnersSeen",
            count(DISTINCT t.learner_id)::int AS "learnersAll",
            (array_agg(c.value ORDER BY t.graded_at DESC))[1] AS latest,
            (array_agg(t.container_name ORDER BY t.graded_at DESC))[1] AS "containerName"
       FROM tried AS t, jsonb_array_elements(t.checks) AS c
      WHERE c.value ->> 'passed' = 'false'
      GROUP BY t.exercise_id, c.value ->> 'id'
   ), hinted AS (
     SELECT t.exercise_id AS "exerciseId", count(*)::int AS shown,
            (array_agg(h.value ORDER BY t.graded_at DESC))[1] AS latest,
            (array_agg(t.container_name ORDER BY t.graded_at DESC))[1] AS "containerName"
       FROM tried AS t, jsonb_array_elements(t.hints) AS h
      WHERE jsonb_typeof(h.value) = 'object'
      GROUP BY t.exercise_id, h.value - 'with'
   )
   SELECT COALESCE((SELECT json_agg(o) FROM outcomes AS o), '[]') AS exercises,
          COALESCE((SELECT json_agg(f) FROM failed AS f), '[]') AS checks,
          COALESCE((SELECT json_agg(h) FROM hinted AS h), '[]') AS hints`,
  z.object({
    exercises: z.array(
      z.object({
        exerciseId: z.string(),
        attempted: z.number(),
        passed: z.number(),
        medianAttempts: z.number().nullable(),
        medianSeconds: z.number().nullable(),
      }),
    ),
    /** seen: failures where the check read a value; blind: where there was no container to read. */
    checks: z.array(
      z.object({
        exerciseId: z.string(),
        checkId: z.string(),
        seen: z.number(),
        blind: z.number(),
        learnersSeen: z.number(),
        learnersAll: z.number(),
        latest: z.unknown(),
        containerName: z.string(),
      }),
    ),
    hints: z.array(
      z.object({ exerciseId: z.string(), shown: z.number(), latest: z.unknown(), containerName: z.string() }),
    ),
  }),
);

const MemberRowSchema = z.object({
  id: z.string(),
  learnerId: z.string().nullable(),
  sub: z.string(),
  name: z.string().nullable(),
  since: z.date(),
  firstLaunchedAt: z.date().nullable(),
  cells: z.array(
    z.object({
      exerciseId: z.string(),
      attempts: z.number(),
      bestScore: z.number(),
      passed: z.boolean(),
      firstAttemptAt: z.string(),
      firstPassedAt: z.string().nullable(),
    }),
  ),
});
type MemberRow = z.infer<typeof MemberRowSchema>;

type MemberParams = [
  clientId: string,
  platformId: string,
  contextId: string,
  exerciseIds: string[],
  ...rest: (string | number)[],
];
const memberStatements = new Map<string, Statement<MemberParams, MemberRow>>();

/** One page of the class's learners (or all of them), oldest launch first, each with their cells. */
function membersStatement(page: PageQuery | undefined) {
  const keyset = page ? keysetSql("since", "asc", page, 6) : undefined;
  const shape = keyset ? `page/${keyset.shape}` : "all";
  let found = memberStatements.get(shape);
  if (!found) {
    found = statement<MemberParams>()(
      `read-class-learners/${shape}`,
      `WITH members AS (${MEMBERS_SQL}${keyset ? `${keyset.condition} ORDER BY ${keyset.orderBy} LIMIT $5` : ""}),
       ${CELLS_SQL}
       SELECT m.id, m.learner_id AS "learnerId", m.sub, m.name, m.since AT TIME ZONE 'UTC' AS since,
              m.first_launched_at AT TIME ZONE 'UTC' AS "firstLaunchedAt",
              COALESCE((SELECT json_agg(json_build_object(
                 'exerciseId', c.exercise_id, 'attempts', c.attempts, 'bestScore', c.best_score, 'passed', c.passed,
                 'firstAttemptAt', to_char(c.first_attempt_at, ${ISO_UTC}),
                 'firstPassedAt', to_char(c.first_passed_at, ${ISO_UTC})))
                 FROM cells AS c WHERE c.learner_id = m.learner_id), '[]') AS cells
         FROM members AS m
        ORDER BY m.since, m.id`,
      MemberRowSchema,
    );
    memberStatements.set(shape, found);
  }
  return found;
}

/** The class's exercises in course order: those placed in the course that the course still has. */
async function classOf(sql: Sql, curriculum: Curriculum, ref: ClassRef) {
  const [found] = await sql.rows(readClass, [ref.clientId, ref.platformId, ref.contextId]);
  if (!found || (found.exerciseIds.length === 0 && found.learners === 0 && found.roster === null)) {
    throw new NotFound(
      `This API client has no class "${ref.contextId}" on platform ${ref.platformId}: a class appears with its first placement, learner launch or roster read.`,
    );
  }
  const placed = new Set(found.exerciseIds);
  const exercises = curriculum.lessons.flatMap((lesson) =>
    lesson.exercises.flatMap((id) => {
      const exercise = placed.has(id) ? curriculum.exercises.get(id) : undefined;
      return exercise ? [exercise] : [];
    }),
  );
  return { exercises, learners: found.learners, roster: found.roster };
}

/** Per exercise of the class: how its learners do, the medians to pass, what fails and what is hinted most. */
export async function readClassSummary(
  { sql }: Storage,
  curriculum: Curriculum,
  ref: ClassRef,
  language: Language,
): Promise<ClassSummary> {
  const { exercises, learners, roster } = await classOf(sql, curriculum, ref);
  const ids = exercises.map((exercise) => exercise.id);
  const [analysis] = await sql.rows(readClassAnalysis, [ref.clientId, ref.platformId, ref.contextId, ids]);
  const outcomes = new Map(analysis?.exercises.map((row) => [row.exerciseId, row]));
  return {
    platformId: ref.platformId,
    contextId: ref.contextId,
    learners,
    roster,
    exercises: exercises.map((exercise): ClassExercise => {
      const outcome = outcomes.get(exercise.id);
      const attempted = outcome?.attempted ?? 0;
      const passed = outcome?.passed ?? 0;
      const failingChecks = (analysis?.checks ?? [])
        .filter((row) => row.exerciseId === exercise.id)
        .flatMap((row) => {
          const graded = GradedCheckSchema.safeParse(row.latest);
          if (!graded.success) return [];
          const [check] = localizeGrade(
            exercise,
            { containerName: row.containerName, checks: [graded.data], hints: [] },
            language,
          ).checks;
          // Without a container a check has nothing to read, and fails without saying anything about
          // itself: only the existence check's failure counts then.
          const counted = isExistsCheck(exercise, row.checkId)
            ? { failures: row.seen + row.blind, learners: row.learnersAll }
            : { failures: row.seen, learners: row.learnersSeen };
          if (!check || counted.failures === 0) return [];
          return [{ checkId: row.checkId, description: check.description, ...counted }];
        })
        .sort((a, b) => b.failures - a.failures || a.checkId.localeCompare(b.checkId))
        .slice(0, FAILING_CHECKS_SHOWN);
      const hint = (analysis?.hints ?? [])
        .filter((row) => row.exerciseId === exercise.id)
        .flatMap((row) => {
          const ref = HintRefSchema.safeParse(row.latest);
          if (!ref.success) return [];
          const [text] = localizeGrade(
            exercise,
            { containerName: row.containerName, checks: [], hints: [ref.data] },
            language,
          ).hints;
          return text ? [{ text, shown: row.shown }] : [];
        })
        .sort((a, b) => b.shown - a.shown || a.text.localeCompare(b.text))[0];
      return {
        exerciseId: exercise.id,
        lesson: exercise.lesson,
        title: exercise.title[language],
        maxScore: maxScoreOf(exercise),
        learners: { notStarted: Math.max(0, learners - attempted), attempted: attempted - passed, passed },
        medianAttemptsToPass: outcome?.medianAttempts ?? null,
        medianSecondsToPass:
          outcome?.medianSeconds === null || outcome === undefined ? null : Math.round(outcome.medianSeconds),
        failingChecks,
        commonHint: hint ?? null,
      };
    }),
  };
}

/**
 * One page of the class's learners, each with a cell per exercise: those who launched in the order they
 * first did, then those only the roster lists, in the order it first listed them.
 */
export async function listClassLearners(
  { sql }: Storage,
  curriculum: Curriculum,
  ref: ClassRef,
  page: PageQuery,
): Promise<Page<ClassLearner>> {
  const { exercises } = await classOf(sql, curriculum, ref);
  const keyset = keysetSql("since", "asc", page, 6);
  const rows = await sql.rows(membersStatement(page), [
    ref.clientId,
    ref.platformId,
    ref.contextId,
    exercises.map((exercise) => exercise.id),
    keyset.limit,
    ...keyset.params,
  ]);
  return toPage(
    rows,
    page,
    (row) => row.since,
    (row) => toClassLearner(row, exercises),
  );
}

/** Every learner of the class, for the teacher's page and the CSV export. */
export async function readWholeClass({ sql }: Storage, curriculum: Curriculum, ref: ClassRef) {
  const { exercises, roster } = await classOf(sql, curriculum, ref);
  const ids = exercises.map((exercise) => exercise.id);
  const rows = await sql.rows(membersStatement(undefined), [ref.clientId, ref.platformId, ref.contextId, ids]);
  return { exercises, roster, learners: rows.map((row) => toClassLearner(row, exercises)) };
}

function isExistsCheck(exercise: Exercise, checkId: string): boolean {
  return (
    exercise.kind === "container" && exercise.checks.some((check) => check.id === checkId && check.type === "exists")
  );
}

function toClassLearner(row: MemberRow, exercises: readonly Exercise[]): ClassLearner {
  const cells = new Map(row.cells.map((cell) => [cell.exerciseId, cell]));
  return {
    learnerId: row.learnerId,
    sub: row.sub,
    name: row.name,
    firstLaunchedAt: row.firstLaunchedAt?.toISOString() ?? null,
    exercises: exercises.map((exercise) => {
      const cell = cells.get(exercise.id);
      const status: LearnerExerciseStatus = !cell ? "not-started" : cell.passed ? "passed" : "attempted";
      return {
        exerciseId: exercise.id,
        status,
        bestScore: cell?.bestScore ?? 0,
        maxScore: maxScoreOf(exercise),
        attempts: cell?.attempts ?? 0,
        firstAttemptAt: cell?.firstAttemptAt ?? null,
        firstPassedAt: cell?.firstPassedAt ?? null,
      };
    }),
  };
}
