import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Storage } from "../db/storage.js";
import { DeliveryAttemptSchema, lastAttemptOf, pageOfDeliveries } from "../delivery/attempt-log.js";
import { NotFound } from "../errors/domain-errors.js";
import { LtiGradePolicy, LtiScoreDeliveryStatus } from "../generated/prisma/enums.js";
import type { PageQuery } from "../schemas/page.js";

export const GradePolicySchema = z
  .enum(LtiGradePolicy)
  .describe("best: post the learner's best score so far (the default); latest: post each attempt's own score");

export const LtiPlacementSchema = z
  .object({
    id: z.uuid(),
    platformId: z.uuid(),
    resourceLinkId: z.string(),
    exerciseId: z.string(),
    lineitemUrl: z.string(),
    gradePolicy: GradePolicySchema,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "LtiPlacement" });

export const LtiScoreDeliverySchema = z
  .object({
    id: z.uuid(),
    placementId: z.uuid(),
    submissionId: z.uuid(),
    userId: z.string().describe("The platform's sub the score was posted for"),
    status: z
      .enum(LtiScoreDeliveryStatus)
      .describe(
        "superseded: a newer score replaced it, here before it was sent or at the platform (409, or 400 older than its last update); failed: the platform refused it (a 4xx other than 401, 408, 429) or attempts ran out",
      ),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable().describe("The newest attempt's statusCode"),
    lastError: z.string().nullable().describe("The newest attempt's error: a status and a fixed reason"),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    score: z.record(z.string(), z.unknown()).describe("The AGS score as frozen when the grade was made"),
    attemptLog: z.array(DeliveryAttemptSchema),
  })
  .meta({ id: "LtiScoreDelivery" });

type PlacementRow = Omit<z.infer<typeof LtiPlacementSchema>, "createdAt"> & { createdAt: Date };
const toView = (row: PlacementRow): z.infer<typeof LtiPlacementSchema> => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
});

/** Placements on this client's platforms: created by launches, which tell the tool their line item. */
export async function listPlacements({ prisma: db }: Storage, clientId: string, page: PageQuery) {
  const { where, ...order } = keysetArgs("createdAt", "asc", page);
  const rows = await db.ltiPlacement.findMany({ where: { platform: { clientId }, ...where }, ...order });
  return toPage(rows, page, (row) => row.createdAt, toView);
}

export async function setGradePolicy(
  { prisma: db }: Storage,
  clientId: string,
  id: string,
  policy: z.infer<typeof GradePolicySchema>,
) {
  const { count } = await db.ltiPlacement.updateMany({
    where: { id, platform: { clientId } },
    data: { gradePolicy: policy },
  });
  if (count === 0) throw new NotFound(`There is no placement ${id}.`);
  return toView(await db.ltiPlacement.findUniqueOrThrow({ where: { id } }));
}

export async function listScoreDeliveries({ prisma: db }: Storage, clientId: string, page: PageQuery) {
  return pageOfDeliveries(
    page,
    ({ where, ...args }) =>
      db.ltiScoreDelivery.findMany({ where: { placement: { platform: { clientId } }, ...where }, ...args }),
    (row) => ({
      placementId: row.placementId,
      submissionId: row.submissionId,
      userId: row.sub,
      status: row.status,
      ...lastAttemptOf(row.attemptLog),
      score: LtiScoreDeliverySchema.shape.score.parse(row.score),
    }),
  );
}

/** The platform's sub of one of this client's learners, if the learner ever launched through LTI. */
export async function subOfLearner(
  { prisma: db }: Storage,
  clientId: string,
  learnerId: string,
): Promise<string | undefined> {
  const link = await db.ltiLearner.findFirst({ where: { learnerId, platform: { clientId } }, select: { sub: true } });
  return link?.sub;
}
