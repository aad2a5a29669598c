import { z } from "zod";
import { LearnerIdSchema } from "../../../schemas/ids.js";

/** Every route under /v1/learners/{learnerId}/… names its learner the same way. */
export const LearnerParamsSchema = z.object({ learnerId: LearnerIdSchema });
