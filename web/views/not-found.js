// @ts-check
// An address the page has no view for, or a lesson or command the course does not have.
import { h } from "../render.js";

/**
 * @param {import("../types/page.js").PageContext} context
 * @returns {import("../types/page.js").Page}
 */
export function notFoundView({ strings }) {
  return {
    title: strings.notFound,
    view: h("div", null, h("h1", null, strings.notFound), h("p", null, h("a", { href: "/" }, strings.backToCourse))),
  };
}
