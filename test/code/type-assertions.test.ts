import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * A type assertion (`x as T`, `<T>x`) tells the compiler to trust us instead of checking. src/ keeps
 * fewer than MAX_ASSERTIONS of them, each with a comment on its line or the line above saying why it
 * is safe; everything else is parsed (zod), narrowed (type guards) or typed so it needs none.
 * `as const` asserts nothing and is not counted; neither is src/generated/ (Prisma's client).
 */
const MAX_ASSERTIONS = 19;
const SRC = path.resolve(import.meta.dirname, "../../src");
const GENERATED = path.join(SRC, "generated");

interface Assertion {
  /** path:line, relative to the repository. */
  at: string;
  text: string;
  commented: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === GENERATED ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

function isConstAssertion(node: ts.AsExpression | ts.TypeAssertion): boolean {
  return (
    ts.isTypeReferenceNode(node.type) && ts.isIdentifier(node.type.typeName) && node.type.typeName.text === "const"
  );
}

/** The 0-based lines on which a comment ends, as the parser attaches comments to the nodes around them. */
function commentLines(source: ts.SourceFile): Set<number> {
  const text = source.text;
  const lines = new Set<number>();
  const record = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) lines.add(source.getLineAndCharacterOfPosition(range.end).line);
  };
  const visit = (node: ts.Node) => {
    record(ts.getLeadingCommentRanges(text, node.getFullStart()));
    record(ts.getTrailingCommentRanges(text, node.getEnd()));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

function typeAssertions(fileName: string, text: string): Assertion[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const comments = commentLines(source);
  const found: Assertion[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && !isConstAssertion(node)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      found.push({
        at: `${fileName}:${line + 1}`,
        text: node.getText(source).replace(/\s+/g, " ").slice(0, 100),
        commented: comments.has(line) || comments.has(line - 1),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("type assertions in src/", () => {
  const assertions = sourceFiles(SRC).flatMap((file) =>
    typeAssertions(path.relative(path.dirname(SRC), file), readFileSync(file, "utf8")),
  );

  it(`are fewer than ${MAX_ASSERTIONS + 1}`, () => {
    expect(assertions.length, assertions.map(({ at, text }) => `${at}: ${text}`).join("\n")).toBeLessThanOrEqual(
      MAX_ASSERTIONS,
    );
  });

  it("each say why they are safe, in a comment on their line or the line above", () => {
    expect(assertions.filter(({ commented }) => !commented).map(({ at, text }) => `${at}: ${text}`)).toEqual([]);
  });

  it("are told apart from what is not one, and from comments that are not theirs", () => {
    const found = typeAssertions(
      "sample.ts",
      [
        "const a = value as string;",
        "// why b is safe",
        "const b = <number>other;",
        "const c = [1, 2] as const;",
        "",
        "const d = (value as { x: number }).x; // why d is safe",
        "// a comment two lines above does not count",
        "",
        "const e = value as unknown as Date;",
      ].join("\n"),
    );
    expect(found.map(({ at, commented }) => [at, commented])).toEqual([
      ["sample.ts:1", false],
      ["sample.ts:3", true],
      ["sample.ts:6", true],
      ["sample.ts:9", false],
      ["sample.ts:9", false],
    ]);
  });
});
