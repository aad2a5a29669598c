import { z } from "zod";

/** What an API client may do. `admin` implies every other scope. */
export const SCOPES = ["content:read", "submissions:write", "progress:read", "webhooks:manage", "admin"] as const;

export const ScopeSchema = z.enum(SCOPES).meta({
  id: "Scope",
  description:
    "content:read: lessons, commands, search, diagrams (only enforced when REQUIRE_AUTH is on); " +
    "submissions:write: grade submissions, bind labs, record lesson completion; " +
    "progress:read: read submissions, progress, exports and statements; " +
    "webhooks:manage: register webhooks and read their deliveries; admin: manage API clients, implies all",
});

export type Scope = z.infer<typeof ScopeSchema>;

export function hasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes("admin") || granted.includes(required);
}
