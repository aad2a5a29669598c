import { describe, expect, it } from "vitest";
import { matchPage, PAGE_ROUTES } from "../../web/page-routes.js";

/** The page's addresses, as learners, LMS links and the API's hrefs (made page addresses) use them. */
describe("the page's route table", () => {
  it("finds each page's view and slug at the addresses the page has always had", () => {
    expect(matchPage("/")).toEqual({ view: "outline", params: {} });
    expect(matchPage("/lessons/ciclo-de-vida-de-un-contenedor")).toEqual({
      view: "lesson",
      params: { slug: "ciclo-de-vida-de-un-contenedor" },
    });
    expect(matchPage("/commands")).toEqual({ view: "commands", params: {} });
    expect(matchPage("/commands/run")).toEqual({ view: "command", params: { slug: "run" } });
    expect(matchPage("/search")).toEqual({ view: "search", params: {} });
  });

  it("has no view where the page has none: the server answers those itself", () => {
    for (const address of ["/lessons", "/lessons/", "/lessons/a/b", "/lessons/a.b", "/commands/run/x", "/docs", ""]) {
      expect(matchPage(address), address).toBeNull();
    }
  });

  it("declares each view once", () => {
    const views = PAGE_ROUTES.map((route) => route.view);
    expect(new Set(views).size).toBe(views.length);
  });
});
