import { z } from "zod";

/** A run of text with its formatting, so frontends render lessons without a Markdown parser. */
export const InlineSchema = z
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

export const BlockSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("heading"), level: z.number().int().min(2).max(6), id: z.string(), text: z.string() }),
    z.object({ type: z.literal("paragraph"), content: InlinesSchema }),
    z.object({
      type: z.literal("code"),
      language: z.string().describe("console (prompt lines start with `$ `), sh, dockerfile, yaml, text, …"),
      code: z.string(),
    }),
    z.object({
      type: z.literal("table"),
      header: z.array(InlinesSchema),
      rows: z.array(z.array(InlinesSchema)),
    }),
    z.object({
      type: z.literal("image"),
      src: z.string().describe("Absolute path on this API, e.g. /v1/diagrams/vm-vs-containers.svg"),
      alt: z.string(),
    }),
    z.object({
      type: z.literal("callout"),
      kind: z.enum(["note", "tip", "warning"]),
      paragraphs: z.array(InlinesSchema),
    }),
    z.object({ type: z.literal("list"), ordered: z.boolean(), items: z.array(ListItemSchema) }),
  ])
  .meta({ id: "Block" });
export type Block = z.infer<typeof BlockSchema>;
