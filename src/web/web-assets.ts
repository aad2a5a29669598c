import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
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

const packageFile = createRequire(import.meta.url);

/** Files of npm packages the page loads as they are published (ES modules and CSS), under these names. */
const PACKAGE_FILES: Record<string, string> = {
  "xterm.js": "@xterm/xterm/lib/xterm.mjs",
  "xterm.css": "@xterm/xterm/css/xterm.css",
  "xterm-addon-fit.js": "@xterm/addon-fit/lib/addon-fit.mjs",
};

/**
 * Reads and compresses every file of web/ and its folders (and PACKAGE_FILES) once, named by their path
 * below web/ ("views/lesson.js"); a request then does no file or zlib work.
 */
export async function loadWebAssets(dir = WEB_DIR): Promise<Map<string, WebAsset>> {
  const assets = new Map<string, WebAsset>();
  const files = (await readdir(dir, { recursive: true })).map((name) => [
    name.split(path.sep).join("/"),
    path.join(dir, name),
  ]);
  for (const [name, specifier] of Object.entries(PACKAGE_FILES)) {
    files.push([name, packageFile.resolve(specifier)]);
  }
  // Every entry is a [name, path] pair, built just above.
  for (const [name, file] of files as [string, string][]) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    // The published files end with a source map comment for a map we do not serve.
    const body = stripSourceMap(await readFile(file), name in PACKAGE_FILES);
    assets.set(name, webAssetOf(body, type));
  }
  return assets;
}

/** A body as both encodings, compressed once. */
export function webAssetOf(body: Buffer, type: string): WebAsset {
  const identity = representationOf(body, type);
  // The same ETag for both encodings would let a cache answer one for the other.
  const gzip = { ...representationOf(gzipSync(body, { level: 9 }), type), etag: identity.etag.replace(/"$/, '-gz"') };
  return { identity, gzip };
}

function stripSourceMap(body: Buffer, published: boolean): Buffer {
  if (!published) return body;
  return Buffer.from(body.toString("utf8").replace(/\n\/[/*]# sourceMappingURL=\S+( \*\/)?\s*$/, "\n"));
}
