/**
 * Spells an image reference the way the engine resolves it, so `alpine`, `alpine:latest`
 * and `docker.io/library/alpine:latest` compare equal (distribution/reference's rules:
 * a first path part with a dot or colon, or `localhost`, is a registry).
 */
export function normalizeImageReference(reference: string): string {
  const trimmed = reference.trim();
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(trimmed)) return trimmed;

  let rest = trimmed;
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at);
    rest = rest.slice(0, at);
  }

  let registry = "docker.io";
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first === "index.docker.io" ? "docker.io" : first;
      rest = rest.slice(slash + 1);
    }
  }

  let tag = "";
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    tag = rest.slice(colon);
    rest = rest.slice(0, colon);
  }
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  if (!tag && !digest) tag = ":latest";
  return `${registry}/${rest}${tag}${digest}`;
}

/** The repository a reference names, without tag or digest: `localhost:5000/mi-alpine:1.0` → `localhost:5000/mi-alpine`. */
export function repositoryOf(reference: string): string {
  const normalized = normalizeImageReference(reference).split("@")[0] ?? "";
  const slash = normalized.lastIndexOf("/");
  const colon = normalized.lastIndexOf(":");
  return colon > slash ? normalized.slice(0, colon) : normalized;
}
