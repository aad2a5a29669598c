// @ts-check
// Every command of the course, filtered as the learner types.
import { api } from "../api.js";
import { h, inlineMarkdown, pageHref } from "../render.js";

/**
 * @param {import("../types/page.js").PageContext} context
 * @returns {Promise<import("../types/page.js").Page>}
 */
export async function commandsView({ lang, strings }) {
  /** @type {import("../api.js").CommandList} */
  const list = await api("/v1/commands", { lang });
  const items = h("ul", { className: "command-list" });
  /** @param {string} query */
  const show = (query) => {
    const q = query.trim().toLowerCase();
    items.replaceChildren(
      ...list.items
        .filter((c) => !q || `${c.command} ${c.synopsis}`.toLowerCase().includes(q))
        .map((c) =>
          h(
            "li",
            null,
            h("a", { href: pageHref(c.href) }, h("code", null, c.command)),
            h("span", null, inlineMarkdown(c.synopsis)),
          ),
        ),
    );
  };
  show("");
  /** @type {HTMLInputElement} */
  const filter = h("input", { id: "command-filter", type: "search", oninput: () => show(filter.value) });
  return {
    title: strings.commands,
    view: h(
      "div",
      { className: "commands" },
      h("h1", null, strings.commands),
      h("p", { className: "filter" }, h("label", { for: "command-filter" }, strings.filterCommands), " ", filter),
      items,
    ),
  };
}
