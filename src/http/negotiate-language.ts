import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { DEFAULT_LANGUAGE, type Language, LanguageSchema, SUPPORTED_LANGUAGES } from "../schemas/language.js";

/** Query parameter every localized route accepts; it overrides Accept-Language. */
export const LangQuerySchema = z.object({
  lang: LanguageSchema.optional().describe(
    `Language to serve: ${SUPPORTED_LANGUAGES.join(" or ")}. Overrides Accept-Language.`,
  ),
});

/**
 * Picks the response language (?lang, then Accept-Language by q-value, then Spanish)
 * and tells the client which one it got.
 */
export function negotiateLanguage(request: FastifyRequest, reply: FastifyReply, queryLang?: Language): Language {
  const language = queryLang ?? fromAcceptLanguage(request.headers["accept-language"]) ?? DEFAULT_LANGUAGE;
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
      return { primary: tag.trim().toLowerCase().split("-")[0], q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const entry of ranked) {
    const match = LanguageSchema.safeParse(entry.primary);
    if (match.success) return match.data;
  }
  return undefined;
}
