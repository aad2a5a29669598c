// @ts-check
// What the course says about the words in the header's search field.
import { api } from "../api.js";
import { h, inlineMarkdown, pageHref } from "../render.js";

/**
 * @param {import("../types/page.js").PageContext} context
 * @returns {Promise<import("../types/page.js").Page>}
 */
export async function searchView({ lang, strings }) {
  const q = new URLSearchParams(location.search).get("q") ?? "";
  const field = document.getElementById("q");
  if (field instanceof HTMLInputElement) field.value = q;
  /** @type {Pick<import("../api.js").SearchResults, "results">} */
  const found = q ? await api(`/v1/search?q=${encodeURIComponent(q)}`, { lang }) : { results: [] };
  return {
    title: strings.resultsFor(q),
    view: h(
      "div",
      { className: "search-results" },
      h("h1", null, strings.resultsFor(q)),
      found.results.length === 0
        ? h("p", null, strings.noResults)
        : h(
            "ol",
            null,
            found.results.map((r) =>
              h(
                "li",
                null,
                h("span", { className: "badge" }, r.kind === "lesson" ? strings.kindLesson : strings.kindCommand),
                " ",
                h("a", { href: pageHref(r.href) }, r.title),
                h("p", null, inlineMarkdown(r.summary)),
              ),
            ),
          ),
    ),
  };
}
