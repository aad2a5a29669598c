import { describe, expect, it } from "vitest";
import { normalizeImageReference, repositoryOf } from "../../src/grading/image-reference.js";

describe("normalizeImageReference", () => {
  it.each([
    ["alpine", "docker.io/library/alpine:latest"],
    ["alpine:latest", "docker.io/library/alpine:latest"],
    ["docker.io/library/alpine:latest", "docker.io/library/alpine:latest"],
    ["index.docker.io/library/alpine", "docker.io/library/alpine:latest"],
    ["library/alpine:3.20", "docker.io/library/alpine:3.20"],
    ["bitnami/nginx", "docker.io/bitnami/nginx:latest"],
    ["localhost/mi-app", "localhost/mi-app:latest"],
    ["localhost:5000/mi-app:1.0", "localhost:5000/mi-app:1.0"],
    ["ghcr.io/org/app", "ghcr.io/org/app:latest"],
    ["alpine@sha256:abc", "docker.io/library/alpine@sha256:abc"],
  ])("%s → %s", (reference, normalized) => {
    expect(normalizeImageReference(reference)).toBe(normalized);
  });

  it("keeps different tags apart", () => {
    expect(normalizeImageReference("alpine:3.20")).not.toBe(normalizeImageReference("alpine"));
  });

  it("leaves image ids as they are", () => {
    const id = `sha256:${"a".repeat(64)}`;
    expect(normalizeImageReference(id)).toBe(id);
  });
});

describe("repositoryOf", () => {
  it.each([
    ["localhost:5000/mi-alpine:1.0", "localhost:5000/mi-alpine"],
    [`localhost:5000/mi-alpine@sha256:${"c".repeat(64)}`, "localhost:5000/mi-alpine"],
    ["localhost:5000/mi-alpine", "localhost:5000/mi-alpine"],
    ["alpine", "docker.io/library/alpine"],
  ])("%s is in %s", (reference, repository) => {
    expect(repositoryOf(reference)).toBe(repository);
  });
});
