// @ts-check
// One command: what it does, its options, examples, the lessons that use it.
import { api } from "../api.js";
import { h, inlineMarkdown, pageHref } from "../render.js";

/**
 * @param {import("../types/page.js").PageContext} context
 * @param {string} slug
 * @returns {Promise<import("../types/page.js").Page>}
 */
export async function commandView({ lang, strings }, slug) {
  /** @type {import("../api.js").Command} */
  const command = await api(`/v1/commands/${encodeURIComponent(slug)}`, { lang });
  return {
    title: command.command,
    view: h(
      "article",
      { className: "command" },
      h(
        "nav",
        { className: "crumbs", "aria-label": strings.commands },
        h("a", { href: "/commands" }, strings.allCommands),
      ),
      h("h1", null, h("code", null, command.command)),
      h("p", { className: "lede" }, inlineMarkdown(command.synopsis)),
      h("p", null, inlineMarkdown(command.description)),
      command.options.length
        ? [
            h("h2", null, strings.options),
            h(
              "dl",
              { className: "options" },
              command.options.map((o) => [
                h("dt", null, h("code", null, o.flag)),
                h("dd", null, inlineMarkdown(o.description)),
              ]),
            ),
          ]
        : null,
      h("h2", null, strings.examples),
      command.examples.map((example) => [
        h("p", null, inlineMarkdown(example.description)),
        h("pre", { tabindex: 0 }, h("code", null, example.command)),
      ]),
      command.lessons.length
        ? [
            h("h2", null, strings.usedIn),
            h(
              "ul",
              null,
              command.lessons.map((l) => h("li", null, h("a", { href: pageHref(l.href) }, l.title))),
            ),
          ]
        : null,
      h("p", null, h("a", { href: command.reference, rel: "noopener noreferrer" }, strings.officialReference)),
    ),
  };
}
