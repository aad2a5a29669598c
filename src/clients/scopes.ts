import { z } from "zod";

/** What an API client may do. `admin` implies every other scope. */
const SCOPES = [
  "content:read",
  "submissions:write",
  "progress:read",
  "webhooks:manage",
  "engine:shared",
  "admin",
] as const;

export const ScopeSchema = z.enum(SCOPES).meta({
  id: "Scope",
  description:
    "content:read: lessons, commands, search, diagrams (only enforced when REQUIRE_AUTH is on); " +
    "submissions:write: grade submissions, bind labs, record lesson completion; " +
    "progress:read: read submissions, progress, exports and statements; " +
    "webhooks:manage: register webhooks and read their deliveries; " +
    "engine:shared: grade learners without a lab on the service's own Docker engine, which means seeing " +
    "every container on it (a trust grant, for one LMS per engine or self-study); " +
    "admin: manage API clients, implies all",
});

export type Scope = z.infer<typeof ScopeSchema>;

export function hasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes("admin") || granted.includes(required);
}

/** The scopes of `wanted` that `granted` holds (`admin` holds them all). */
export function heldScopes(wanted: readonly Scope[], granted: readonly string[]): Scope[] {
  return wanted.filter((scope) => hasScope(granted, scope));
}
