import { Ajv } from "ajv";
import addFormats from "ajv-formats";

/**
 * JSON Schemas written by hand from each platform's published format, independent of our zod
 * schemas: if a mapper and its zod schema drift together, these still catch it.
 */

const visibility = { enum: ["hidden", "after_due_date", "after_published", "visible"] };
const outputFormat = { enum: ["text", "html", "simple_format", "md", "ansi"] };

/** Gradescope autograder specification: /autograder/results/results.json. */
export const GRADESCOPE_RESULTS = {
  type: "object",
  additionalProperties: false,
  properties: {
    score: { type: "number" },
    execution_time: { type: "integer", minimum: 0 },
    output: { type: "string" },
    output_format: outputFormat,
    test_output_format: outputFormat,
    test_name_format: outputFormat,
    visibility,
    stdout_visibility: visibility,
    extra_data: { type: "object" },
    tests: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        properties: {
          score: { type: "number" },
          max_score: { type: "number" },
          status: { enum: ["passed", "failed"] },
          name: { type: "string" },
          name_format: outputFormat,
          number: { type: "string" },
          output: { type: "string" },
          output_format: outputFormat,
          tags: { type: "array", items: { type: "string" } },
          visibility,
          extra_data: { type: "object" },
        },
      },
    },
    leaderboard: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "value"],
        properties: {
          name: { type: "string" },
          value: { type: ["number", "string"] },
          order: { enum: ["asc", "desc"] },
        },
      },
    },
  },
  // "score" may be left out only when every test has one.
  anyOf: [{ required: ["score"] }, { required: ["tests"], properties: { tests: { items: { required: ["score"] } } } }],
} as const;

const image = {
  anyOf: [
    { type: "string" },
    { type: "object", required: ["url"], properties: { url: { type: "string" }, label: { type: "string" } } },
  ],
};

/** PrairieLearn external grading: /grade/results/results.json. */
export const PRAIRIELEARN_RESULTS = {
  type: "object",
  additionalProperties: false,
  properties: {
    gradable: { type: "boolean" },
    score: { type: "number", minimum: 0, maximum: 1 },
    format_errors: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    message: { type: "string" },
    output: { type: "string" },
    images: { type: "array", items: image },
    tests: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "points", "max_points"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          description: { type: "string" },
          points: { type: "number" },
          max_points: { type: "number" },
          message: { type: "string" },
          output: { type: "string" },
          images: { type: "array", items: image },
        },
      },
    },
  },
  if: { not: { properties: { gradable: { const: false } }, required: ["gradable"] } },
  // biome-ignore lint/suspicious/noThenProperty: "then" is JSON Schema's keyword here
  then: { required: ["score"] },
} as const;

/** edX XQueue's external grader reply (xqueue_body): score is points, read against the problem's max. */
export const XQUEUE_REPLY = {
  type: "object",
  required: ["correct", "score", "msg"],
  additionalProperties: false,
  properties: { correct: { type: "boolean" }, score: { type: "number", minimum: 0 }, msg: { type: "string" } },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

export const validateGradescope = ajv.compile(GRADESCOPE_RESULTS);
export const validatePrairieLearn = ajv.compile(PRAIRIELEARN_RESULTS);
export const validateXqueue = ajv.compile(XQUEUE_REPLY);
