import { z } from "zod";
import { ContainerNameSchema } from "../docker/container-name.js";
import { LocalizedTextSchema, SUPPORTED_LANGUAGES } from "../schemas/language.js";
import { GRADER_HINTS } from "./messages.js";
import { deriveMutants } from "./mutants.js";

/**
 * An exercise as authors write it in content/exercises/<id>.yaml. This schema is the only
 * definition of the Exercise type: the curriculum loader validates the files with it and the
 * grader reads its checks.
 */

const Slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected a lowercase slug such as alpine-una-vez");

const CONTAINER_STATUSES = ["created", "running", "paused", "restarting", "removing", "exited", "dead"] as const;
export const ContainerStatusSchema = z.enum(CONTAINER_STATUSES);

/** Placeholders every feedback text may use: {name}, {expected}, {actual}. */
const FeedbackSchema = z.strictObject({ pass: LocalizedTextSchema, fail: LocalizedTextSchema });

const checkFields = {
  id: Slug,
  points: z.number().int().min(1).max(100),
  description: LocalizedTextSchema,
  feedback: FeedbackSchema,
};

const check = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...checkFields, ...shape });

const Argv = z.array(z.string().min(1)).min(1);

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
/** As the kernel names them, without CAP_: the grader normalizes what the learner typed the same way. */
const Capabilities = z.array(z.string().regex(/^(ALL|[A-Z][A-Z_]*)$/, "a capability such as NET_RAW, or ALL")).min(1);

const CheckSchema = z.discriminatedUnion("type", [
  check("exists", {}),
  check("state", { status: ContainerStatusSchema }),
  /** It has run at least once: the engine records a start (State.StartedAt), which a container only created has not. */
  check("started", {}),
  check("exitCode", { equals: z.number().int().min(0).max(255) }),
  check("image", {
    /** Passes when the container's image (by ID) carries this tag or digest now, however it was typed. */
    reference: z.string().min(1),
    /** And is the very image this other reference names: a tag made with `docker tag`, not a look-alike. */
    sameImageAs: z.string().min(1).optional(),
    /**
     * And the container was created by this very name (Config.Image): another name of the same image,
     * or its ID, does not count. Only where the outcome is to use a name, such as a tag just made.
     */
    byName: z.boolean().default(false),
    /** Any tag of the reference's repository counts: `nginx` is then met by nginx:1.27-alpine too. */
    anyTag: z.boolean().default(false),
  }),
  check("imageFromRegistry", {
    /**
     * The container's image went through this repository: the engine records a RepoDigest for it
     * only after a push to, or a pull from, that registry; a tag alone records none.
     */
    repository: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/, "a registry and repository, such as localhost:5000/mi-alpine"),
  }),
  check("command", {
    /** What the main process runs: Entrypoint then Cmd. A bare program name matches its path on PATH. */
    equals: Argv,
    /** And it comes from the image's own ENTRYPOINT and CMD: nothing was added on `docker run`. */
    fromImage: z.boolean().default(false),
  }),
  check("entrypoint", { equals: Argv.nullable() }),
  check("interactive", { tty: z.boolean().default(true), openStdin: z.boolean().default(true) }),
  check("portPublished", {
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp", "sctp"]).default("tcp"),
    hostPort: z.number().int().min(1).max(65535),
    hostIp: z.string().min(1).optional(),
  }),
  check("env", {
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    equals: z.string().optional(),
    /** False: the variable must not be set at all, as for a secret that belongs in a file. */
    present: z.boolean().default(true),
  }),
  check("label", { key: z.string().min(1), equals: z.string().optional() }),
  check("restartPolicy", {
    name: z.enum(["no", "always", "unless-stopped", "on-failure"]),
    maximumRetryCount: z.number().int().min(0).optional(),
  }),
  check("mount", {
    mountType: z.enum(["bind", "volume", "tmpfs"]),
    /** Volume name for volumes, host path for bind mounts. */
    source: z.string().min(1).optional(),
    /** The end of a bind mount's host path (`/src`, `.sock`), which starts wherever the learner keeps the folder. */
    sourceEndsWith: z.string().min(1).optional(),
    /** Absent: mounted anywhere, for what must never be mounted at all (the Docker socket). */
    destination: z.string().startsWith("/").optional(),
    readOnly: z.boolean().optional(),
    /** False: no mount may match. */
    present: z.boolean().default(true),
  }),
  check("network", { name: z.string().min(1) }),
  check("processRunning", { commandContains: z.string().min(1) }),
  check("logsContain", { text: z.string().min(1), tailLines: z.number().int().min(1).max(1000).default(100) }),
  check("stillRunning", { afterMs: z.number().int().min(100).max(5000).default(1500) }),
  /**
   * Another service of the graded container's Compose project (its com.docker.compose.project label)
   * has a container in this state, and with this health when given.
   */
  check("composeService", {
    service: z.string().regex(/^[a-zA-Z0-9._-]+$/),
    status: ContainerStatusSchema.default("running"),
    health: z.enum(["starting", "healthy", "unhealthy"]).optional(),
  }),
  /**
   * The named volume mounted at destination outlived a container: another container had mounted it
   * before the graded one was created, as after `docker compose down` and `up` (the engine logs each
   * mount of a volume, with the container's id). Its data then survived that container.
   */
  check("volumeReused", { destination: z.string().startsWith("/") }),
  check("health", {
    /** State.Health.Status while it runs: "starting" until the first checks have answered. */
    status: z.enum(["starting", "healthy", "unhealthy"]),
  }),
  check("oomKilled", { equals: z.boolean().default(true) }),
  /** `--memory`, in bytes as the engine keeps it: 64m is 67108864. */
  check("memoryLimit", { bytes: z.number().int().min(1) }),
  /** `--cpus`, or the same limit as `--cpu-quota` over `--cpu-period`. */
  check("cpuLimit", { cpus: z.number().positive() }),
  check("user", {
    /** A name or uid, optionally with `:group`; a bare user matches any group. Absent: any user but root. */
    equals: z.string().min(1).optional(),
  }),
  check("readOnlyRootfs", { equals: z.boolean().default(true) }),
  /** Each of these was dropped, by name or by dropping ALL, and not added back; ALL: every one, none added back. */
  check("capDrop", { includes: Capabilities }),
  check("capAdd", { includes: Capabilities }),
  /**
   * A path in the container's filesystem exists, or not: read from the engine's stat of it, which
   * needs no process in the container, so it answers in every state, running or not.
   */
  check("path", { path: z.string().startsWith("/"), exists: z.boolean().default(true) }),
  /**
   * Something was copied into it with `docker cp` since it was created: the engine logs each copy into
   * a container as `extract-to-dir`, and nothing else does (a file written by `docker exec` is not).
   */
  check("copiedIn", {}),
  /**
   * These containers were removed by a prune after the graded one was created: each one's `destroy` is
   * logged at most withinMs before a container prune, as a prune logs its removals just before itself.
   * The prune is logged after its last removal, and each removal unmounts a container's layers: on a
   * busy engine two removals took more than 2 s, so the default leaves room for that.
   */
  check("removedByPrune", {
    names: z.array(ContainerNameSchema).min(1),
    withinMs: z.number().int().min(1).max(30_000).default(10_000),
  }),
  /**
   * The image's own build steps, after those of `base` (what its last FROM named), ran no command
   * (RUN): whatever made its files ran in another build stage, or was copied in. False when the image
   * was not built on `base`.
   */
  check("noRunAfterBase", { base: z.string().min(1) }),
  /**
   * The image's build steps (its history, oldest first) hold a step matching each of these, in this
   * order: the dependencies installed before the source is copied, for instance. `shown` is the step
   * as a learner would write it, for the feedback.
   */
  check("historyOrder", {
    steps: z
      .array(
        z.strictObject({
          matches: z.string().refine(isRegExp, "a regular expression, such as ^RUN .*npm (ci|install)"),
          shown: z.string().min(1),
        }),
      )
      .min(2),
  }),
  /** `--log-driver` and `--log-opt`, as HostConfig.LogConfig keeps them; options not listed may be anything. */
  check("logConfig", {
    driver: z.string().min(1),
    options: z.record(z.string(), z.string()).default({}),
  }),
  /** `--security-opt`, such as no-new-privileges (however it was spelt: `:true`, `=true` or bare). */
  check("securityOpt", { includes: z.array(z.string().min(1)).min(1) }),
  check("exec", {
    /** Fixed here, in content: nothing from a request is ever executed. */
    argv: Argv,
    /**
     * The images this exercise expects that have the program argv[0] (README, "Stand-in images"):
     * a check that runs a program fails on an image without it, however right the learner was.
     */
    imagesWithIt: z.array(z.string().min(1)).min(1),
    timeoutMs: z.number().int().min(100).max(10_000).default(3000),
    exitCode: z.number().int().min(0).max(255).default(0),
    outputContains: z.string().min(1).optional(),
  }),
]);
export type Check = z.infer<typeof CheckSchema>;
export type CheckType = Check["type"];
export type CheckOf<T extends CheckType> = Extract<Check, { type: T }>;

const HintConditionSchema = z
  .strictObject({
    state: z.union([ContainerStatusSchema, z.literal("missing")]).optional(),
    failed: Slug.optional().describe("id of a check that failed"),
  })
  .refine((when) => when.state !== undefined || when.failed !== undefined, "give a state, a failed check, or both");

/** A hint shown when every condition given holds; "missing" means no container has the name. */
const HintSchema = z.strictObject({ when: HintConditionSchema, text: LocalizedTextSchema });
export type Hint = z.infer<typeof HintSchema>;

/** The docker commands a hint's Markdown gives in backticks, in order: what the page offers to copy. */
const dockerCommandsIn = (markdown: string) =>
  [...markdown.matchAll(/`([^`]+)`/g)]
    .map((match) => (match[1] ?? "").trim())
    .filter((code) => /^(sudo )?docker\s+\S/.test(code));
const LISTS_CONTAINERS = /^(sudo )?docker\s+(ps|container\s+(ls|list|ps)|compose\s+ps)(\s|$)/;

/**
 * Something a learner might type, run by the test suite on a real engine and graded through the
 * API. Shell lines in one `sh -e` session in an empty folder; never sent to learners.
 */
const AttemptSchema = z.strictObject({
  /** What this attempt does differently, for the people who read test failures. */
  title: z.string().min(1),
  run: z.array(z.string().min(1)).min(1),
});

/** An attempt that must fail: exactly these checks fail and exactly these hints fire. */
const RejectSchema = AttemptSchema.extend({
  fails: z.array(Slug).min(1),
  hints: z
    .array(z.union([HintConditionSchema, z.strictObject({ grader: z.enum(GRADER_HINTS) })]))
    .min(1)
    .describe("the exercise's hints by their condition, and the grader's own by name"),
  /**
   * Why the containerd image store cannot tell this attempt from a right one, where it cannot: there
   * the suite expects it to pass, so the sentence goes stale the day the store tells them apart.
   */
  passesOnContainerdStore: z.string().min(1).optional(),
});

/** A container Compose made: found by its labels, so any Compose version's naming is accepted. */
const ComposeServiceSchema = z.strictObject({ project: z.string().min(1), service: z.string().min(1) });

const exerciseFields = {
  id: Slug,
  lesson: Slug,
  title: LocalizedTextSchema,
  /**
   * One sentence per language: what the learner must have done, and the evidence in the engine that
   * proves it. Every clause is covered by a check; where the evidence cannot tell two methods apart,
   * the outcome does not ask for one of them.
   */
  outcome: LocalizedTextSchema,
  /** Markdown. */
  instructions: LocalizedTextSchema,
};

export const ContainerExerciseSchema = z
  .strictObject({
    /** Every exercise written before questions existed is a container exercise, so it is the default. */
    kind: z.literal("container").default("container"),
    ...exerciseFields,
    /** The container graded when a submission names none. */
    containerName: ContainerNameSchema,
    /** Grade the container of this Compose service instead, whatever Compose named it. */
    compose: ComposeServiceSchema.optional(),
    /**
     * The course's app (content/app/<app>) this exercise works on: the learner has it from its lessons,
     * in a folder of that name, and every attempt starts beside a fresh copy of it.
     */
    app: Slug.optional(),
    checks: z.array(CheckSchema).min(1),
    hints: z.array(HintSchema).default([]),
    /** Right ways to do it, the reference solution first: each must earn full marks. */
    accept: z.array(AttemptSchema).min(3),
    /** Plausible wrong ways: each must fail the checks it names and show the hints it names. */
    reject: z.array(RejectSchema).min(3),
    /**
     * Mutants of the accepted attempts (src/grading/mutants.ts, by id) that earn full marks, each with
     * why the engine cannot tell it from the right answer, or why the outcome does not ask for the difference.
     */
    equivalent: z.array(z.strictObject({ mutant: z.string().min(1), reason: z.string().min(1) })).default([]),
    /** Shell commands that remove everything any attempt created. */
    cleanup: z.array(z.string().min(1)).min(1),
  })
  .superRefine((exercise, context) => {
    const ids = exercise.checks.map((c) => c.id);
    for (const [index, id] of ids.entries()) {
      if (ids.indexOf(id) !== index) {
        context.addIssue({ code: "custom", path: ["checks", index, "id"], message: `duplicate check id "${id}"` });
      }
    }
    if (exercise.checks[0]?.type !== "exists") {
      context.addIssue({
        code: "custom",
        path: ["checks", 0],
        message: "the first check must be `exists`: every other check reads the container it finds",
      });
    }
    const conditions = exercise.hints.map((hint) => `${hint.when.state ?? "*"}/${hint.when.failed ?? "*"}`);
    for (const [index, hint] of exercise.hints.entries()) {
      // A stored grade names the hints that fired by their condition, so each condition is one hint.
      if (conditions.indexOf(conditions[index] ?? "") !== index) {
        context.addIssue({
          code: "custom",
          path: ["hints", index, "when"],
          message: "another hint has this condition",
        });
      }
      if (hint.when.failed && !ids.includes(hint.when.failed)) {
        context.addIssue({
          code: "custom",
          path: ["hints", index, "when", "failed"],
          message: `no check has id "${hint.when.failed}"`,
        });
      }
    }
    // With no container the page leads with the first hint that applies, its commands ready to copy
    // (web/exercise-panel.js): that hint must create the container, not send the learner looking for it.
    const existsIds = exercise.checks.filter((check) => check.type === "exists").map((check) => check.id);
    const firstWithoutContainer = exercise.hints.findIndex(
      ({ when }) =>
        (when.state === undefined || when.state === "missing") &&
        (when.failed === undefined || existsIds.includes(when.failed)),
    );
    const missingHint = exercise.hints[firstWithoutContainer];
    if (missingHint?.when.state !== "missing" || missingHint.when.failed !== undefined) {
      context.addIssue({
        code: "custom",
        path: missingHint ? ["hints", firstWithoutContainer, "when"] : ["hints"],
        message: `${exercise.id}: with no container ${exercise.containerName} the page shows first the first hint that applies, so that hint must be \`when: { state: missing }\` and say how to create the container`,
      });
    } else {
      for (const language of SUPPORTED_LANGUAGES) {
        const first = dockerCommandsIn(missingHint.text[language])[0];
        if (first && !LISTS_CONTAINERS.test(first)) continue;
        context.addIssue({
          code: "custom",
          path: ["hints", firstWithoutContainer, "text", language],
          message: `${exercise.id}: the \`state: missing\` hint must give first, in backticks, the docker command that creates ${exercise.containerName} (such as \`docker run --name {name} …\`): the page offers it to copy. ${first ? `\`${first}\` only lists containers.` : "It gives no docker command."}`,
        });
      }
    }
    const mutants = new Set(deriveMutants(exercise).map((mutant) => mutant.id));
    for (const [index, entry] of exercise.equivalent.entries()) {
      const where = ["equivalent", index, "mutant"];
      if (!mutants.has(entry.mutant)) {
        context.addIssue({
          code: "custom",
          path: where,
          message: `no mutant of the accepted attempts is "${entry.mutant}"`,
        });
      } else if (exercise.equivalent.findIndex((other) => other.mutant === entry.mutant) !== index) {
        context.addIssue({ code: "custom", path: where, message: "declared twice" });
      }
    }
    for (const [index, attempt] of exercise.reject.entries()) {
      for (const [at, id] of attempt.fails.entries()) {
        if (!ids.includes(id)) {
          context.addIssue({
            code: "custom",
            path: ["reject", index, "fails", at],
            message: `no check has id "${id}"`,
          });
        }
      }
      for (const [at, hint] of attempt.hints.entries()) {
        if ("grader" in hint || conditions.includes(`${hint.state ?? "*"}/${hint.failed ?? "*"}`)) continue;
        context.addIssue({
          code: "custom",
          path: ["reject", index, "hints", at],
          message: "no hint has this condition",
        });
      }
    }
  });
export type ContainerExercise = z.infer<typeof ContainerExerciseSchema>;

const questionFields = {
  id: Slug,
  points: z.number().int().min(1).max(100),
  /** Markdown. */
  prompt: LocalizedTextSchema,
  /** Said after answering, before the chosen options' own feedback: never the right answer itself. */
  feedback: FeedbackSchema,
};

const OptionSchema = z.strictObject({
  id: Slug,
  text: LocalizedTextSchema,
  /** Why this option is right or wrong, shown to whoever chose it. */
  feedback: LocalizedTextSchema,
});
const Options = z.array(OptionSchema).min(2);
const OrderItemSchema = z.strictObject({ id: Slug, text: LocalizedTextSchema });

const QuestionSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("single"), ...questionFields, options: Options, answer: Slug }),
  z.strictObject({ type: z.literal("multiple"), ...questionFields, options: Options, answer: z.array(Slug).min(1) }),
  z.strictObject({
    type: z.literal("order"),
    ...questionFields,
    /** As learners see them: never already in the right order, or the question would answer itself. */
    items: z.array(OrderItemSchema).min(2),
    /** The item ids in the right order. */
    answer: z.array(Slug).min(2),
  }),
  z.strictObject({
    type: z.literal("short"),
    ...questionFields,
    /** Compared after trimming, case folding and collapsing spaces, like what the learner typed. */
    answer: z.string().min(1),
    alsoAccept: z.array(z.string().min(1)).default([]),
  }),
]);
export type Question = z.infer<typeof QuestionSchema>;

/** Conceptual lessons end with questions: graded like containers, without an engine. */
const QuestionExerciseSchema = z
  .strictObject({
    kind: z.literal("question"),
    ...exerciseFields,
    questions: z.array(QuestionSchema).min(1),
  })
  .superRefine((exercise, context) => {
    const ids = exercise.questions.map((q) => q.id);
    for (const [index, question] of exercise.questions.entries()) {
      const at = (...path: (string | number)[]) => ["questions", index, ...path];
      if (ids.indexOf(question.id) !== index) {
        context.addIssue({ code: "custom", path: at("id"), message: `duplicate question id "${question.id}"` });
      }
      if (question.type === "short") continue;
      const choices = (question.type === "order" ? question.items : question.options).map((choice) => choice.id);
      if (new Set(choices).size !== choices.length) {
        context.addIssue({
          code: "custom",
          path: at(question.type === "order" ? "items" : "options"),
          message: "duplicate id",
        });
      }
      const answer = typeof question.answer === "string" ? [question.answer] : question.answer;
      for (const [position, id] of answer.entries()) {
        if (!choices.includes(id))
          context.addIssue({ code: "custom", path: at("answer", position), message: `no option has id "${id}"` });
      }
      if (new Set(answer).size !== answer.length) {
        context.addIssue({ code: "custom", path: at("answer"), message: "an id appears twice" });
      }
      if (question.type === "order") {
        if (answer.length !== choices.length) {
          context.addIssue({ code: "custom", path: at("answer"), message: "must order every item" });
        }
        if (answer.join() === choices.join()) {
          context.addIssue({
            code: "custom",
            path: at("items"),
            message: "items are shown as listed: list them out of order",
          });
        }
      }
    }
  });
export type QuestionExercise = z.infer<typeof QuestionExerciseSchema>;

export const ExerciseSchema = z.discriminatedUnion("kind", [ContainerExerciseSchema, QuestionExerciseSchema]);
export type Exercise = z.infer<typeof ExerciseSchema>;

/** What a whole exercise is worth: the sum of its checks' or questions' points. */
export function maxScoreOf(exercise: Exercise): number {
  const graded = exercise.kind === "question" ? exercise.questions : exercise.checks;
  return graded.reduce((sum, item) => sum + item.points, 0);
}
