import { type MarkedToken, marked, type Token, type Tokens } from "marked";
import {
  type Block,
  CalloutKindSchema,
  type Inline,
  type LessonSource,
  type Provenance,
  type UnmarkedBlock,
} from "./blocks.js";
import { CodeInfoError, parseCodeInfo } from "./code-info.js";

export class MarkdownError extends Error {}

interface BlockContext {
  /** Turns an image path as written in the Markdown into the URL the API serves it at. */
  resolveImage(href: string): string;
  /** The lesson's source: the provenance of every block without a marker. */
  source: LessonSource;
}

/** A `<!-- provenance: … -->` line, and the block it marks. */
export interface ProvenanceMarker {
  provenance: Provenance;
  line: number;
  /** Index of the marked block in the lesson's blocks. */
  block: number;
}

interface ParsedLesson {
  blocks: Block[];
  markers: ProvenanceMarker[];
  /** The Markdown without its provenance markers: those are metadata, carried by the blocks. */
  markdown: string;
}

const CALLOUT = /^\[!(NOTE|TIP|WARNING)\]\s*/;
const MARKER = /^<!--\s*provenance\b([\s\S]*?)-->\s*$/;
const MARKER_SYNTAX =
  "<!-- provenance: added -->, <!-- provenance: tutorial --> or <!-- provenance: corrected: <reason> -->";

/**
 * Converts a lesson's Markdown into typed blocks once, at start-up. A provenance marker line gives the next block
 * its provenance; every other block takes the lesson's source. Errors name the line they are about.
 */
export function markdownToBlocks(markdown: string, context: BlockContext): ParsedLesson {
  const headingIds = new Map<string, number>();
  const blocks: Block[] = [];
  const markers: ProvenanceMarker[] = [];
  const kept: string[] = [];
  let pending: { provenance: Provenance; line: number } | undefined;
  let line = 1;
  for (const token of marked.lexer(markdown)) {
    const at = line;
    // The tokens' raw text concatenates back to the source, so counting its line breaks tracks the line.
    line += token.raw.split("\n").length - 1;
    const marker = token.type === "html" ? MARKER.exec(token.raw.trim()) : null;
    if (marker) {
      if (pending) throw unfollowed(pending.line, `another marker follows on line ${at}`);
      pending = { provenance: atLine(at, () => parseMarker(marker[1] ?? "", token.raw.trim())), line: at };
      continue;
    }
    kept.push(token.raw);
    if (pending && token.type === "hr") throw unfollowed(pending.line, `a rule follows on line ${at}`);
    const block = atLine(at, () => toBlock(token, context, headingIds));
    if (!block) continue;
    if (pending) markers.push({ ...pending, block: blocks.length });
    blocks.push({ ...block, provenance: pending?.provenance ?? { source: context.source } });
    pending = undefined;
  }
  if (pending) throw unfollowed(pending.line, "the file ends");
  return { blocks, markers, markdown: kept.join("") };
}

function atLine<T>(line: number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MarkdownError) throw new MarkdownError(`line ${line}: ${error.message}`);
    throw error;
  }
}

const unfollowed = (line: number, why: string) =>
  new MarkdownError(`line ${line}: the provenance marker is not followed by a block: ${why}`);

/** `text` is what follows "provenance" in the `comment`: ": added", ": corrected: why", … */
function parseMarker(text: string, comment: string): Provenance {
  const [, kind, reason] = /^\s*:\s*(\S+?)\s*(?::([\s\S]*))?$/.exec(text) ?? [];
  const because = reason?.replace(/\s+/g, " ").trim();
  if (kind === "corrected") {
    if (!because) throw new MarkdownError(`"corrected" needs a reason: <!-- provenance: corrected: <reason> -->`);
    return { source: "corrected", reason: because };
  }
  if (kind === "tutorial" || kind === "added") {
    if (reason !== undefined) throw new MarkdownError(`only "corrected" takes a reason; found "${kind}: ${because}"`);
    return { source: kind };
  }
  throw new MarkdownError(`unknown provenance marker ${comment}: expected ${MARKER_SYNTAX}`);
}

/** Marked's own token types, every one (the compiler checks): any other comes from an extension, which lessons do not use. */
const MARKED_TYPES: Record<MarkedToken["type"], true> = {
  blockquote: true,
  br: true,
  checkbox: true,
  code: true,
  codespan: true,
  def: true,
  del: true,
  em: true,
  escape: true,
  heading: true,
  hr: true,
  html: true,
  image: true,
  link: true,
  list: true,
  list_item: true,
  paragraph: true,
  space: true,
  strong: true,
  table: true,
  text: true,
};

function isMarkedToken(token: Token): token is MarkedToken {
  return Object.hasOwn(MARKED_TYPES, token.type);
}

/** The token as the union Marked's types narrow by `type`; one of an unknown type is refused. */
function known(token: Token): MarkedToken {
  if (isMarkedToken(token)) return token;
  throw new MarkdownError(`unsupported Markdown element "${token.type}": ${JSON.stringify(token.raw.slice(0, 60))}`);
}

function toBlock(raw: Token, context: BlockContext, headingIds: Map<string, number>): UnmarkedBlock | undefined {
  const token = known(raw);
  switch (token.type) {
    case "space":
    case "hr":
      return undefined;
    case "heading": {
      const { depth, text } = token;
      if (depth < 2)
        throw new MarkdownError(`a lesson starts at "##": found "# ${text}" (the title lives in lesson.yaml)`);
      return { type: "heading", level: depth, id: uniqueId(slugify(text), headingIds), text: plainText(token.tokens) };
    }
    case "paragraph": {
      const tokens = token.tokens;
      const only = tokens.length === 1 && tokens[0] ? known(tokens[0]) : undefined;
      const image = only?.type === "image" ? only : undefined;
      if (image) {
        if (!image.text.trim()) throw new MarkdownError(`image ${image.href} has no alt text`);
        return { type: "image", src: context.resolveImage(image.href), alt: image.text };
      }
      return { type: "paragraph", content: toInlines(tokens) };
    }
    case "code": {
      const { lang, text } = token;
      if (!lang) throw new MarkdownError(`a code block has no language: ${JSON.stringify(text.slice(0, 40))}`);
      try {
        return { type: "code", language: parseCodeInfo(lang).language, code: text };
      } catch (error) {
        if (error instanceof CodeInfoError) throw new MarkdownError(`code block "${lang.trim()}": ${error.message}`);
        throw error;
      }
    }
    case "table": {
      return {
        type: "table",
        header: token.header.map((cell) => toInlines(cell.tokens)),
        rows: token.rows.map((row) => row.map((cell) => toInlines(cell.tokens))),
      };
    }
    case "list":
      return toList(token, 1);
    case "blockquote":
      return toCallout(token);
    default:
      throw new MarkdownError(
        `unsupported Markdown element "${token.type}": ${JSON.stringify(token.raw.slice(0, 60))}`,
      );
  }
}

type ListBlock = Extract<UnmarkedBlock, { type: "list" }>;

function toList(list: Tokens.List, depth: number): ListBlock {
  return {
    type: "list",
    ordered: list.ordered,
    items: list.items.map((item) => {
      const content: Inline[] = [];
      let sublist: ListBlock | undefined;
      for (const child of item.tokens.map(known)) {
        if (child.type === "list") {
          if (depth > 1) throw new MarkdownError("lists nest one level deep at most");
          sublist = toList(child, depth + 1);
        } else if (child.type === "text" || child.type === "paragraph") {
          const inner: Token[] = child.tokens ?? [{ type: "text", raw: child.raw, text: child.raw }];
          if (content.length > 0) content.push({ text: " " });
          content.push(...toInlines(inner));
        } else if (child.type !== "space") {
          throw new MarkdownError(`unsupported element "${child.type}" inside a list item`);
        }
      }
      return sublist
        ? { content, sublist: { ordered: sublist.ordered, items: sublist.items.map(({ content }) => ({ content })) } }
        : { content };
    }),
  };
}

function toCallout(quote: Tokens.Blockquote): UnmarkedBlock {
  const [first, ...rest] = quote.tokens.map(known).filter((token) => token.type !== "space");
  const marker = first?.type === "paragraph" ? CALLOUT.exec(first.text) : null;
  if (!first || !marker?.[1])
    throw new MarkdownError("a quote must be a callout starting with [!NOTE], [!TIP] or [!WARNING]");
  const paragraphs = [first, ...rest].map((token, index) => {
    if (token.type !== "paragraph") throw new MarkdownError(`a callout holds paragraphs only, found "${token.type}"`);
    const inlines = toInlines(token.tokens);
    if (index > 0) return inlines;
    const [lead, ...others] = inlines;
    const stripped = lead ? { ...lead, text: lead.text.replace(CALLOUT, "") } : undefined;
    return stripped?.text ? [stripped, ...others] : others;
  });
  return {
    type: "callout",
    kind: CalloutKindSchema.parse(marker[1].toLowerCase()),
    paragraphs: paragraphs.filter((p) => p.length > 0),
  };
}

type Mark = NonNullable<Inline["marks"]>[number];

function toInlines(tokens: Token[], marks: Mark[] = [], href?: string): Inline[] {
  const out: Inline[] = [];
  const push = (text: string, extra: Mark[] = []) => {
    if (!text) return;
    const allMarks = [...marks, ...extra];
    const inline: Inline = { text, ...(allMarks.length ? { marks: allMarks } : {}), ...(href ? { href } : {}) };
    const previous = out.at(-1);
    // Marked splits plain text at line breaks and escapes; merge runs that look the same.
    if (previous && sameStyle(previous, inline)) previous.text += inline.text;
    else out.push(inline);
  };
  for (const raw of tokens) {
    const token = known(raw);
    switch (token.type) {
      case "text":
      case "escape": {
        if (token.type === "text" && token.tokens?.length) out.push(...toInlines(token.tokens, marks, href));
        else push(token.text.replace(/\n/g, " "));
        break;
      }
      case "strong":
        out.push(...toInlines(token.tokens, [...marks, "strong"], href));
        break;
      case "em":
        out.push(...toInlines(token.tokens, [...marks, "emphasis"], href));
        break;
      case "del":
        out.push(...toInlines(token.tokens, [...marks, "strikethrough"], href));
        break;
      case "codespan":
        push(token.text, ["code"]);
        break;
      case "link":
        out.push(...toInlines(token.tokens, marks, token.href));
        break;
      case "br":
        push(" ");
        break;
      default:
        if (token.type === "html" && MARKER.test(token.raw.trim()))
          throw new MarkdownError("a provenance marker goes on a line of its own, before the block it marks");
        throw new MarkdownError(
          `unsupported inline element "${token.type}": ${JSON.stringify(token.raw.slice(0, 60))}`,
        );
    }
  }
  return out;
}

function sameStyle(a: Inline, b: Inline): boolean {
  return a.href === b.href && (a.marks ?? []).join() === (b.marks ?? []).join();
}

function plainText(tokens: Token[]): string {
  return toInlines(tokens)
    .map((inline) => inline.text)
    .join("");
}

function slugify(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function uniqueId(base: string, seen: Map<string, number>): string {
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count + 1}`;
}
