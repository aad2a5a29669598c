import { z } from "zod";

export const SUPPORTED_LANGUAGES = ["es", "en"] as const;
export const DEFAULT_LANGUAGE = "es";

export const LanguageSchema = z.enum(SUPPORTED_LANGUAGES);
export type Language = z.infer<typeof LanguageSchema>;

/** Text written in every language the course is served in. */
export const LocalizedTextSchema = z.object({
  es: z.string().trim().min(1),
  en: z.string().trim().min(1),
});
export type LocalizedText = z.infer<typeof LocalizedTextSchema>;
