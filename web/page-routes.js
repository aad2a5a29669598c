// @ts-check
// The page's addresses, declared once: the server answers index.html at each (src/routes/web.ts) and the
// page's router picks the view for it (main.js). Plain data, no DOM: the server imports this file too.

/** @typedef {"outline" | "lesson" | "commands" | "command" | "search"} ViewName */

/** @type {readonly { view: ViewName, path: string }[]} Paths in Fastify's syntax: `:slug` is one segment. */
export const PAGE_ROUTES = [
  { view: "outline", path: "/" },
  { view: "lesson", path: "/lessons/:slug" },
  { view: "commands", path: "/commands" },
  { view: "command", path: "/commands/:slug" },
  { view: "search", path: "/search" },
];

// A slug is letters, digits, _ and -: anything else is no page of the course.
const patterns = PAGE_ROUTES.map((route) => ({
  view: route.view,
  pattern: new RegExp(`^${route.path.replace(/:(\w+)/g, "(?<$1>[\\w-]+)")}$`),
}));

/**
 * The view for an address and its parameters, or null when the page has none there.
 * @param {string} pathname without a trailing slash, except for "/" itself
 * @returns {{ view: ViewName, params: Record<string, string> } | null}
 */
export function matchPage(pathname) {
  for (const { view, pattern } of patterns) {
    const match = pattern.exec(pathname);
    if (match) return { view, params: { ...match.groups } };
  }
  return null;
}
