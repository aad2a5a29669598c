import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { type Representation, representationOf } from "../http/representation.js";

/** The learner's page: plain files in web/, served as written. There is no build step to cache. */
export const WEB_DIR = path.resolve(import.meta.dirname, "../../web");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** One file, as sent: identity and gzip bodies prepared at start-up, so a request only picks one. */
export interface WebAsset {
  identity: Representation;
  gzip: Representation;
}

/** Reads and compresses every file of web/ once; a request then does no file or zlib work. */
export async function loadWebAssets(dir = WEB_DIR): Promise<Map<string, WebAsset>> {
  const assets = new Map<string, WebAsset>();
  for (const name of await readdir(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = await readFile(path.join(dir, name));
    const identity = representationOf(body, type);
    // The same ETag for both encodings would let a cache answer one for the other.
    const gzip = { ...representationOf(gzipSync(body, { level: 9 }), type), etag: identity.etag.replace(/"$/, '-gz"') };
    assets.set(name, { identity, gzip });
  }
  return assets;
}
