import { z } from "zod";
import { ContainerNameSchema } from "../docker/container-name.js";
import { LocalizedTextSchema } from "../schemas/language.js";

/**
 * An exercise as authors write it in content/exercises/<id>.yaml. This schema is the only
 * definition of the Exercise type: the curriculum loader validates the files with it and the
 * grader reads its checks.
 */

const Slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected a lowercase slug such as alpine-una-vez");

export const CONTAINER_STATUSES = ["created", "running", "paused", "restarting", "removing", "exited", "dead"] as const;
export const ContainerStatusSchema = z.enum(CONTAINER_STATUSES);
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

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

export const CheckSchema = z.discriminatedUnion("type", [
  check("exists", {}),
  check("state", { status: ContainerStatusSchema }),
  check("exitCode", { equals: z.number().int().min(0).max(255) }),
  check("image", { reference: z.string().min(1) }),
  check("command", { equals: Argv }),
  check("entrypoint", { equals: Argv.nullable() }),
  check("interactive", { tty: z.boolean().default(true), openStdin: z.boolean().default(true) }),
  check("portPublished", {
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp", "sctp"]).default("tcp"),
    hostPort: z.number().int().min(1).max(65535),
    hostIp: z.string().min(1).optional(),
  }),
  check("env", { name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), equals: z.string().optional() }),
  check("label", { key: z.string().min(1), equals: z.string().optional() }),
  check("restartPolicy", {
    name: z.enum(["no", "always", "unless-stopped", "on-failure"]),
    maximumRetryCount: z.number().int().min(0).optional(),
  }),
  check("mount", {
    mountType: z.enum(["bind", "volume", "tmpfs"]),
    /** Volume name for volumes, host path for bind mounts. */
    source: z.string().min(1).optional(),
    destination: z.string().startsWith("/"),
    readOnly: z.boolean().optional(),
  }),
  check("network", { name: z.string().min(1) }),
  check("processRunning", { commandContains: z.string().min(1) }),
  check("logsContain", { text: z.string().min(1), tailLines: z.number().int().min(1).max(1000).default(100) }),
  check("stillRunning", { afterMs: z.number().int().min(100).max(5000).default(1500) }),
  check("exec", {
    /** Fixed here, in content: nothing from a request is ever executed. */
    argv: Argv,
    timeoutMs: z.number().int().min(100).max(10_000).default(3000),
    exitCode: z.number().int().min(0).max(255).default(0),
    outputContains: z.string().min(1).optional(),
  }),
]);
export type Check = z.infer<typeof CheckSchema>;
export type CheckType = Check["type"];
export type CheckOf<T extends CheckType> = Extract<Check, { type: T }>;

/** A hint shown when every condition given holds; "missing" means no container has the name. */
const HintSchema = z.strictObject({
  when: z
    .strictObject({
      state: z.union([ContainerStatusSchema, z.literal("missing")]).optional(),
      failed: Slug.optional().describe("id of a check that failed"),
    })
    .refine((when) => when.state !== undefined || when.failed !== undefined, "give a state, a failed check, or both"),
  text: LocalizedTextSchema,
});
export type Hint = z.infer<typeof HintSchema>;

export const ExerciseSchema = z
  .strictObject({
    id: Slug,
    lesson: Slug,
    title: LocalizedTextSchema,
    /** Markdown. */
    instructions: LocalizedTextSchema,
    containerName: ContainerNameSchema,
    checks: z.array(CheckSchema).min(1),
    hints: z.array(HintSchema).default([]),
    /** Shell commands that solve the exercise from a clean engine. Never sent to learners. */
    solution: z.array(z.string().min(1)).min(1),
    /** Shell commands that remove everything the solution created. */
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
  });
export type Exercise = z.infer<typeof ExerciseSchema>;
