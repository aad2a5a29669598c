import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { DEFAULT_LANGUAGE, type Language, LanguageSchema, SUPPORTED_LANGUAGES } from "../schemas/language.js";

/** Query parameter every localized route accepts; it overrides Accept-Language. */
export const LangQuerySchema = z.object({
  lang: z
    .string()
    .max(35)
    .optional()
    .describe(
      `Language to serve: ${SUPPORTED_LANGUAGES.join(" or ")}. Overrides Accept-Language; any other language is answered in Spanish, as Content-Language says.`,
    ),
});

/**
 * Picks the response language (?lang, then Accept-Language by q-value, then Spanish) and tells the
 * client which one it got. A ?lang the course is not written in (fr) gets Spanish rather than a 400:
 * a link shared with a language tag still opens the course, and Content-Language says what it got.
 */
export function negotiateLanguage(request: FastifyRequest, reply: FastifyReply, queryLang?: string): Language {
  const language =
    queryLang !== undefined
      ? (supported(queryLang) ?? DEFAULT_LANGUAGE)
      : (fromAcceptLanguage(request.headers["accept-language"]) ?? DEFAULT_LANGUAGE);
  reply.header("content-language", language);
  reply.header("vary", "Accept-Language");
  return language;
}

function fromAcceptLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag, q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const entry of ranked) {
    const match = supported(entry.tag);
    if (match) return match;
  }
  return undefined;
}

/** The course language a tag names by its primary subtag (en-GB is en), if the course has it. */
function supported(tag: string): Language | undefined {
  const match = LanguageSchema.safeParse(tag.trim().toLowerCase().split("-")[0]);
  return match.success ? match.data : undefined;
}
