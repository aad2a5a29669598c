import { readFileSync } from "node:fs";
import path from "node:path";
import { type ContainerFacts, containerFactsFromInspect } from "../../src/docker/container-facts.js";
import { type Check, type ContainerExercise, ContainerExerciseSchema } from "../../src/grading/exercise.js";
import { gradeSubmission } from "../../src/grading/grade-submission.js";
import { localizeGrade } from "../../src/grading/localize-grade.js";
import type { Observations } from "../../src/grading/observations.js";

/** Inspect JSON recorded from a real engine by test/fixtures/inspect/record.sh. */
export function recordedInspect(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/inspect", file), "utf8"));
}

/** What the engine wrapper makes of a recorded inspect. */
export function recordedFacts(file: string): ContainerFacts {
  return containerFactsFromInspect(recordedInspect(file));
}

/** The recorded container's own name, so `exists` matches it the way a learner's submission would. */
export function observe(file: string, extra: Partial<Observations> = {}): Observations {
  const facts = recordedFacts(file);
  return { containerName: facts.name, facts, ...extra };
}

/** A grade as a learner reads it: graded (neutral), then written in one language. */
export function gradeInWords(exercise: ContainerExercise, observations: Observations, language: "es" | "en") {
  const grade = gradeSubmission(exercise, observations);
  return { ...grade, ...localizeGrade(exercise, { containerName: observations.containerName, ...grade }, language) };
}

const text = (es: string, en: string) => ({ es, en });

/** An exercise with `exists` plus the checks under test, written as an author would in YAML. */
export function exerciseWith(...checks: Record<string, unknown>[]): ContainerExercise {
  return ContainerExerciseSchema.parse({
    id: "prueba",
    lesson: "prueba",
    title: text("Prueba", "Test"),
    outcome: text("Resultado", "Outcome"),
    instructions: text("Instrucciones", "Instructions"),
    containerName: "prueba",
    checks: [
      {
        id: "existe",
        type: "exists",
        points: 1,
        description: text("Existe {name}", "{name} exists"),
        feedback: { pass: text("sí", "yes"), fail: text("no hay {name}", "no {name}") },
      },
      ...checks.map((check, index) => ({
        id: `check-${index + 1}`,
        points: 2,
        description: text("Comprobación", "Check"),
        feedback: {
          pass: text("bien: {actual}", "good: {actual}"),
          fail: text("esperábamos {expected}, vimos {actual}", "expected {expected}, saw {actual}"),
        },
        ...check,
      })),
    ],
    hints: [
      {
        when: { state: "missing" },
        text: text(
          "Crea {name} con `docker run --name {name} alpine`.",
          "Create {name} with `docker run --name {name} alpine`.",
        ),
      },
    ],
    accept: [1, 2, 3].map((n) => ({ title: `accept ${n}`, run: ["docker run --name prueba alpine"] })),
    reject: [1, 2, 3].map((n) => ({
      title: `reject ${n}`,
      run: ["docker create --name prueba alpine"],
      fails: ["existe"],
      hints: [{ grader: "createdHint" }],
    })),
    cleanup: ["docker rm -f prueba"],
  });
}

export type { Check };
