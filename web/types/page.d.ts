// What main.js gives each view in views/, and what a view gives back. Types only: no file of the page loads this.
import type { Progress, Session } from "../api.js";
import type { Strings } from "../i18n.js";

export interface PageContext {
  lang: "es" | "en";
  strings: Strings;
  /** The learner signed in, once GET /v1/session has answered; null before, and when nobody is. */
  session(): Session | null;
  /** The learner's progress, after the session is known; null when signed out or when it failed. */
  progress(): Promise<Progress | null>;
  /** Tells the whole page about a problem that concerns it (an expired session), whatever view met it. */
  noteProblem(error: unknown): void;
  /** A problem of the API in the learner's words; rethrows anything else. */
  problemMessage(error: unknown): HTMLElement;
}

/** A view, ready to show: `after` fills in what may come later than the title and text. */
export interface Page {
  title: string;
  view: HTMLElement;
  after?: () => Promise<void>;
}
