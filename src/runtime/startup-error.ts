import { errorCode } from "../schemas/guards.js";

/** A start-up failure whose message is one line that says what is wrong and what to do. */
export class StartupError extends Error {
  override name = "StartupError";
}

const FILE_SYSTEM_HINTS: Record<string, string> = {
  ENOSPC: "the disk is full: free some space on it, or set DATA_DIR to a folder on another disk",
  EDQUOT: "the disk quota is used up: free some space, or set DATA_DIR to a folder on another disk",
  EROFS: "it is on a read-only file system: set DATA_DIR to a writable folder",
  EACCES: "this user may not write there: set DATA_DIR to a folder it owns",
  EPERM: "this user may not write there: set DATA_DIR to a folder it owns",
  ENOTDIR: "part of the path is a file, not a folder: set DATA_DIR to a folder",
  EEXIST: "part of the path is a file, not a folder: set DATA_DIR to a folder",
};

/** A file system error on the data folder as a StartupError; other errors pass through unchanged. */
export function dataFolderError(error: unknown, folder: string): unknown {
  const code = errorCode(error);
  const hint = code ? FILE_SYSTEM_HINTS[code] : undefined;
  return hint ? new StartupError(`cannot write the data folder ${folder} (${code}): ${hint}`) : error;
}
