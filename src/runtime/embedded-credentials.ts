import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { z } from "zod";
import { errorCode } from "../schemas/guards.js";
import { dataFolderError, StartupError } from "./startup-error.js";

/** The cluster's superuser (initdb's bootstrap role): only start-up connects as it. */
export const SUPERUSER = "aprendiendo";
/** The role the service, its migrations and its CLIs connect as: owner of the app's database, nothing more. */
const APP_ROLE = "aprendiendo_app";
/** The superuser password every data folder had before the credentials file: rotated away when found. */
const FIXED_PASSWORD_BEFORE = "aprendiendo";

const CredentialsSchema = z.object({ superuserPassword: z.string().min(32), appPassword: z.string().min(32) });
type Credentials = z.infer<typeof CredentialsSchema>;

/** DATA_DIR/postgres.credentials, beside the cluster folder and its owner file; mode 0600. */
function credentialsFile(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.credentials`);
}

/** 192 random bits each, base64url, so they go into a URL as they are. */
export function newCredentials(): Credentials {
  return {
    superuserPassword: randomBytes(24).toString("base64url"),
    appPassword: randomBytes(24).toString("base64url"),
  };
}

export async function readCredentials(dataDir: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(credentialsFile(dataDir), "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw dataFolderError(error, path.dirname(dataDir));
  }
  const parsed = CredentialsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new StartupError(`${credentialsFile(dataDir)} is not a credentials file this service wrote: restore it`);
  }
  return parsed.data;
}

/**
 * Written before any password is set with it, and whole or not at all (a temporary file renamed
 * over it): a crash in between leaves a file whose passwords the next start can still set.
 */
export async function writeCredentials(dataDir: string, credentials: Credentials): Promise<void> {
  const file = credentialsFile(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await rm(temporary, { force: true });
    await writeFile(temporary, `${JSON.stringify(credentials)}\n`, { mode: 0o600, flag: "wx" });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    throw dataFolderError(error, path.dirname(dataDir));
  }
}

export function databaseUrl(role: "superuser" | "app", credentials: Credentials, port: number, database: string) {
  const [user, password] =
    role === "superuser" ? [SUPERUSER, credentials.superuserPassword] : [APP_ROLE, credentials.appPassword];
  return `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`;
}

/**
 * Run at every start, as the superuser: a folder whose superuser still has the fixed password of
 * earlier versions gets the one in the credentials file; the app's role exists, with the file's
 * password, LOGIN and no other attribute (no superuser, so no COPY … FROM PROGRAM and no reading
 * of others' data; no CREATEROLE, no CREATEDB); it owns the app's database and everything earlier
 * versions created there as the superuser, so it runs the migrations itself. Idempotent.
 */
export async function secureRoles(
  port: number,
  credentials: Credentials,
  database: string,
  options: { dataDir: string; log: (message: string) => void },
): Promise<void> {
  const cluster = await connectAsSuperuser(port, credentials, "postgres", options);
  try {
    const role = cluster.escapeIdentifier(APP_ROLE);
    const exists = await cluster.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
    if (exists.rowCount === 0) await cluster.query(`CREATE ROLE ${role}`);
    await cluster.query(
      `ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${cluster.escapeLiteral(credentials.appPassword)}`,
    );
    const created = await cluster.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    const name = cluster.escapeIdentifier(database);
    if (created.rowCount === 0) await cluster.query(`CREATE DATABASE ${name} OWNER ${role}`);
    else await cluster.query(`ALTER DATABASE ${name} OWNER TO ${role}`);
  } finally {
    await cluster.end();
  }
  const inDatabase = await connectAsSuperuser(port, credentials, database, options);
  try {
    await inDatabase.query(handOverToAppRole);
  } finally {
    await inDatabase.end();
  }
}

/**
 * Tables, views and sequences in public that another role (the superuser, in folders from before the
 * app's role) owns pass to the app's role; a sequence that belongs to a table's column follows its
 * table. Indexes follow their tables too.
 */
const handOverToAppRole = `
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT c.oid::regclass AS name,
           CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND c.relowner <> '${APP_ROLE}'::regrole
       AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
     ORDER BY c.relkind = 'S'
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', item.kind, item.name);
  END LOOP;
  FOR item IN
    SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND t.typowner <> '${APP_ROLE}'::regrole
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${APP_ROLE}', item.name);
  END LOOP;
END $$`;

/**
 * The superuser, with the file's password; in a folder from before the file, with the fixed one,
 * which is then replaced by the file's (the file was written first, so the new password is never lost).
 */
async function connectAsSuperuser(
  port: number,
  credentials: Credentials,
  database: string,
  options: { dataDir: string; log: (message: string) => void },
): Promise<pg.Client> {
  const connect = async (password: string) => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: SUPERUSER, password, database });
    await client.connect();
    return client;
  };
  try {
    return await connect(credentials.superuserPassword);
  } catch (error) {
    if (errorCode(error) !== "28P01") throw error; // invalid_password
  }
  let client: pg.Client;
  try {
    client = await connect(FIXED_PASSWORD_BEFORE);
  } catch (error) {
    if (errorCode(error) !== "28P01") throw error;
    throw new StartupError(
      `the embedded PostgreSQL in ${options.dataDir} refuses the superuser password in ${credentialsFile(options.dataDir)}: restore that file from a backup of this folder`,
    );
  }
  await client.query(
    `ALTER ROLE ${client.escapeIdentifier(SUPERUSER)} PASSWORD ${client.escapeLiteral(credentials.superuserPassword)}`,
  );
  options.log(
    `the embedded PostgreSQL's superuser had the fixed password of earlier versions: it now has a random one, in ${credentialsFile(options.dataDir)}`,
  );
  return client;
}
