// @ts-check
// Lesson blocks to DOM, without a Markdown parser: the API already split them into typed blocks.

/**
 * @typedef {import("./i18n.js").Strings} Strings
 * @typedef {import("../src/content/blocks.js").Block} Block
 * @typedef {import("../src/content/blocks.js").Inline} Inline
 * @typedef {string | number | boolean | null | undefined | ((event: Event) => unknown)} AttributeValue
 * @typedef {Node | string | number | null | undefined | false | ChildList} Child
 * @typedef {Child[]} ChildList
 */

/**
 * Builds an element. Attributes only, never inline styles: the page's CSP forbids them. `on…` attributes
 * are listeners.
 * @template {string} Tag
 * @param {Tag} tag
 * @param {Record<string, AttributeValue> | null} [attributes]
 * @param {...Child} children
 * @returns {Tag extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[Tag] : HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
  }
  appendChild(element, children);
  // createElement(tag) is that tag's element; TypeScript knows it only for a literal tag.
  return /** @type {Tag extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[Tag] : HTMLElement} */ (element);
}

/**
 * A child, or each child of a list of them at any depth; null, undefined and false add nothing.
 * @param {HTMLElement} element
 * @param {Child} child
 */
function appendChild(element, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) for (const each of child) appendChild(element, each);
  else element.append(child instanceof Node ? child : String(child));
}

/**
 * The API's own links point at its JSON; the page shows the same thing at its own address.
 * @param {string} href
 */
export function pageHref(href) {
  if (href.startsWith("/v1/lessons/")) return href.replace("/v1/lessons/", "/lessons/");
  if (href.startsWith("/v1/commands/")) return href.replace("/v1/commands/", "/commands/");
  return href;
}

const SAFE_HREF = /^(https?:|mailto:|\/|#)/;

/** @param {Inline} run */
function inline(run) {
  /** @type {Node} */
  let node = document.createTextNode(run.text);
  const marks = run.marks ?? [];
  if (marks.includes("code")) node = h("code", null, node);
  if (marks.includes("strikethrough")) node = h("s", null, node);
  if (marks.includes("emphasis")) node = h("em", null, node);
  if (marks.includes("strong")) node = h("strong", null, node);
  if (run.href && SAFE_HREF.test(run.href)) {
    const external = /^https?:/.test(run.href);
    node = h("a", { href: pageHref(run.href), rel: external ? "noopener noreferrer" : undefined }, node);
  }
  return node;
}

export const inlines = (/** @type {Inline[]} */ runs) => runs.map(inline);

/** @typedef {{ language: string, code: string }} CodeBlock */

/**
 * For console blocks, only the commands: what follows `$ `, without the output around it.
 * @param {CodeBlock} block
 */
function copyableText(block) {
  if (!TERMINAL_LANGUAGES.has(block.language)) return block.code;
  const commands = block.code
    .split("\n")
    .filter((line) => line.startsWith("$ "))
    .map((line) => line.slice(2));
  return commands.length > 0 ? commands.join("\n") : block.code;
}

const TERMINAL_LANGUAGES = new Set(["console", "shell-session"]);
/**
 * The bar's label, for people: a terminal session says so; plain text and shell scripts need no label.
 * @param {string} language
 * @param {Strings} t
 */
function codeLabel(language, t) {
  if (TERMINAL_LANGUAGES.has(language)) return t.terminal;
  /** @type {Record<string, string>} */
  const names = { dockerfile: "Dockerfile", yaml: "YAML", yml: "YAML", json: "JSON" };
  return names[language.toLowerCase()] ?? "";
}

/**
 * A terminal session's lines: what the learner types (after `$ `) set apart from what the terminal
 * answers. The prompt is drawn but not selectable, so selecting a command by hand copies only it.
 * @param {string} code
 */
function terminalLines(code) {
  return code.split("\n").flatMap((line, index) => {
    const parts = line.startsWith("$ ")
      ? [
          h("span", { className: "prompt", "aria-hidden": "true" }, "$ "),
          h("span", { className: "cmd" }, line.slice(2)),
        ]
      : [h("span", { className: "out" }, line)];
    return index === 0 ? parts : ["\n", ...parts];
  });
}

/**
 * @param {CodeBlock} block
 * @param {Strings} t
 */
export function codeBlock(block, t) {
  const status = h("span", { className: "copy-status", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      className: "copy",
      "aria-label": t.copyCode,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(copyableText(block));
          status.textContent = t.copied;
        } catch {
          status.textContent = t.copyFailed;
        }
        setTimeout(() => {
          status.textContent = "";
        }, 2000);
      },
    },
    t.copy,
  );
  const terminal = TERMINAL_LANGUAGES.has(block.language);
  return h(
    "div",
    { className: terminal ? "code is-terminal" : "code" },
    h(
      "div",
      { className: "code-bar" },
      h("span", { className: "code-lang" }, codeLabel(block.language, t)),
      status,
      button,
    ),
    // Focusable: a keyboard user must be able to scroll a long output line sideways (commands wrap).
    h(
      "pre",
      { tabindex: 0 },
      h("code", { "data-language": block.language }, terminal ? terminalLines(block.code) : block.code),
    ),
  );
}

/**
 * @param {{ ordered: boolean, items: { content: Inline[], sublist?: { ordered: boolean, items: { content: Inline[] }[] } }[] }} block
 * @returns {HTMLElement}
 */
function list(block) {
  return h(
    block.ordered ? "ol" : "ul",
    null,
    block.items.map((item) => h("li", null, inlines(item.content), item.sublist ? list(item.sublist) : null)),
  );
}

/**
 * One renderer per block type: a type the API adds and the page does not know fails the check here.
 * @type {{ [Type in Block["type"]]: (block: Extract<Block, { type: Type }>, t: Strings) => HTMLElement }}
 */
const RENDERERS = {
  heading: (block, t) =>
    h(
      `h${block.level}`,
      { id: block.id },
      block.text,
      " ",
      h("a", { className: "anchor", href: `#${block.id}`, "aria-label": `${t.anchor}: ${block.text}` }, "#"),
    ),
  paragraph: (block) => h("p", null, inlines(block.content)),
  code: codeBlock,
  table: (block, t) =>
    h(
      "div",
      { className: "table-wrap", tabindex: 0, role: "region", "aria-label": t.table },
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            block.header.map((cell) => h("th", { scope: "col" }, inlines(cell))),
          ),
        ),
        h(
          "tbody",
          null,
          block.rows.map((row) =>
            h(
              "tr",
              null,
              row.map((cell) => h("td", null, inlines(cell))),
            ),
          ),
        ),
      ),
    ),
  image: (block) =>
    h(
      "figure",
      { className: "figure" },
      h("img", { src: block.src, alt: block.alt, loading: "lazy", decoding: "async" }),
    ),
  callout: (block, t) =>
    h(
      "aside",
      { className: `callout callout-${block.kind}`, role: "note" },
      h("p", { className: "callout-title" }, t[block.kind]),
      block.paragraphs.map((paragraph) => h("p", null, inlines(paragraph))),
    ),
  list,
};

/**
 * A block corrected from the original tutorial says so in words, right after itself, folded: the note
 * is for teachers comparing with the tutorial, and would interrupt a learner's reading. Added blocks
 * carry no mark: most of a lesson is added, and a mark on nearly every block would tell nobody anything.
 * @param {{ provenance: { reason: string } }} block
 * @param {Strings} t
 */
function correction(block, t) {
  return h(
    "details",
    { className: "provenance" },
    h("summary", null, t.teacherNote),
    h("p", null, block.provenance.reason),
  );
}

/**
 * @param {Block[]} blocks
 * @param {Strings} t
 */
export function renderBlocks(blocks, t) {
  return blocks.flatMap((block) => {
    const node = renderBlock(block, t);
    const provenance = block.provenance;
    return provenance.source === "corrected" ? [node, correction({ provenance }, t)] : [node];
  });
}

/**
 * A block by its type's renderer: TypeScript cannot pair a union's member with its renderer unaided.
 * @template {Block} B
 * @param {B} block
 * @param {Strings} t
 */
function renderBlock(block, t) {
  const render = /** @type {(block: B, t: Strings) => HTMLElement} */ (RENDERERS[block.type]);
  return render(block, t);
}

/**
 * Exercise instructions (and summaries, objectives, hints) are short Markdown: paragraphs, `code`, **strong**, *emphasis*, and
 * fenced code. Just enough for them, so the page carries no Markdown library.
 * @param {string} markdown
 * @param {Strings} t
 */
export function renderInstructions(markdown, t) {
  /** @type {HTMLElement[]} */
  const out = [];
  /** @type {string[]} */
  let paragraph = [];
  /** @type {{ language: string, lines: string[] } | null} */
  let fence = null;
  const endParagraph = () => {
    if (paragraph.length > 0) out.push(h("p", null, inlineMarkdown(paragraph.join(" "))));
    paragraph = [];
  };
  for (const line of markdown.split("\n")) {
    if (fence) {
      if (line.startsWith("```")) {
        out.push(codeBlock({ language: fence.language, code: fence.lines.join("\n") }, t));
        fence = null;
      } else fence.lines.push(line);
    } else if (line.startsWith("```")) {
      endParagraph();
      fence = { language: line.slice(3).trim() || "text", lines: [] };
    } else if (line.trim() === "") endParagraph();
    else paragraph.push(line.trim());
  }
  endParagraph();
  return out;
}

/** @param {string} text */
export function inlineMarkdown(text) {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*|\*[^*]+\*)/).map((piece) => {
    if (piece.startsWith("`") && piece.endsWith("`") && piece.length > 1) return h("code", null, piece.slice(1, -1));
    if (piece.startsWith("**") && piece.endsWith("**") && piece.length > 3)
      return h("strong", null, piece.slice(2, -2));
    if (piece.startsWith("*") && piece.endsWith("*") && piece.length > 1) return h("em", null, piece.slice(1, -1));
    return piece;
  });
}

/**
 * @param {number} value a percentage
 * @param {string} label what it measures, for those who do not see the bar
 */
export function progressBar(value, label) {
  return h("progress", { max: 100, value: Math.round(value), "aria-label": label }, `${Math.round(value)} %`);
}
