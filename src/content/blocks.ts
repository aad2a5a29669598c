import { z } from "zod";

/** A run of text with its formatting, so frontends render lessons without a Markdown parser. */
const InlineSchema = z
  .object({
    text: z.string(),
    marks: z.array(z.enum(["strong", "emphasis", "code", "strikethrough"])).optional(),
    href: z.string().optional().describe("Set when the run is a link"),
  })
  .meta({ id: "Inline" });
export type Inline = z.infer<typeof InlineSchema>;

const InlinesSchema = z.array(InlineSchema);

const ListItemSchema = z.object({
  content: InlinesSchema,
  sublist: z
    .object({ ordered: z.boolean(), items: z.array(z.object({ content: InlinesSchema })) })
    .optional()
    .describe("A nested list, one level deep"),
});

/** Where a lesson comes from: made from the original tutorial «Aprendiendo Docker», or written for this course. */
export const LessonSourceSchema = z
  .enum(["tutorial", "added"])
  .describe("tutorial: made from the original tutorial «Aprendiendo Docker»; added: written for this course");
export type LessonSource = z.infer<typeof LessonSourceSchema>;

/** A block's origin, so a teacher can tell the original tutorial from what this course added or corrected. */
const ProvenanceSchema = z
  .discriminatedUnion("source", [
    z.object({ source: LessonSourceSchema }),
    z.object({
      source: z.literal("corrected").describe("From the original tutorial, with a fact in it corrected"),
      reason: z.string().min(1).describe("What was corrected and why, in the lesson's language"),
    }),
  ])
  .meta({ id: "Provenance" });
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const CalloutKindSchema = z.enum(["note", "tip", "warning"]);

export const BlockSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("heading"),
      level: z.number().int().min(2).max(6),
      id: z.string(),
      text: z.string(),
      provenance: ProvenanceSchema,
    }),
    z.object({ type: z.literal("paragraph"), content: InlinesSchema, provenance: ProvenanceSchema }),
    z.object({
      type: z.literal("code"),
      language: z.string().describe("console (prompt lines start with `$ `), sh, dockerfile, yaml, text, …"),
      code: z.string(),
      provenance: ProvenanceSchema,
    }),
    z.object({
      type: z.literal("table"),
      header: z.array(InlinesSchema),
      rows: z.array(z.array(InlinesSchema)),
      provenance: ProvenanceSchema,
    }),
    z.object({
      type: z.literal("image"),
      src: z.string().describe("Absolute path on this API, e.g. /v1/diagrams/vm-vs-containers.svg"),
      alt: z.string(),
      provenance: ProvenanceSchema,
    }),
    z.object({
      type: z.literal("callout"),
      kind: CalloutKindSchema,
      paragraphs: z.array(InlinesSchema),
      provenance: ProvenanceSchema,
    }),
    z.object({
      type: z.literal("list"),
      ordered: z.boolean(),
      items: z.array(ListItemSchema),
      provenance: ProvenanceSchema,
    }),
  ])
  .meta({ id: "Block" });
export type Block = z.infer<typeof BlockSchema>;
/** A block as Markdown describes it, before its provenance is known. */
export type UnmarkedBlock = WithoutProvenance<Block>;
type WithoutProvenance<B> = B extends unknown ? Omit<B, "provenance"> : never;
