import request from "supertest";
import { expect } from "vitest";
import type { Submission } from "../../src/submissions/submission-schema.js";
import type { TestApp } from "../helper.js";

/** Posts a submission as an LMS would and insists on a graded 201: a grade, never an error. No name: the exercise's. */
export async function submitGraded(
  t: TestApp,
  submission: { exerciseId: string; containerName: string | undefined; learnerId: string; language?: "es" | "en" },
): Promise<Submission> {
  const response = await request(t.app.server)
    .post(`/v1/exercises/${submission.exerciseId}/submissions?lang=${submission.language ?? "es"}`)
    .set("authorization", t.auth)
    .send({ learnerId: submission.learnerId, containerName: submission.containerName });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as Submission;
}
