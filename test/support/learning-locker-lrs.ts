import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Learning Locker's own LRS (the xapi-statements package) in this process, over real HTTP, with its
 * in-memory store. It is an old Express app that reads its settings from the environment once, when
 * first loaded. Its authentication asks a Learning Locker server; in its test mode any credential is
 * its full-scope test client. So a gate in front checks one HTTP Basic pair and refuses any other,
 * and the statements service behind it is Learning Locker's, untouched.
 */
export interface LearningLockerLrs {
  /** The xAPI endpoint to configure: statements live at {endpoint}/statements. */
  endpoint: string;
  username: string;
  password: string;
  /** Every request the LRS received, in order (method, xAPI version header, status). */
  requests: { method: string; version: string | undefined; status: number }[];
  /** The statements it stores, read back through its own GET /statements. */
  stored(): Promise<{ id: string; [property: string]: unknown }[]>;
  close(): Promise<void>;
}

export async function startLearningLockerLrs(): Promise<LearningLockerLrs> {
  const scratch = mkdtempSync(path.join(tmpdir(), "xapi-statements-"));
  Object.assign(process.env, {
    MODELS_REPO: "memory",
    AUTH_REPO: "test",
    EVENTS_REPO: "test",
    STORAGE_REPO: "local",
    FS_LOCAL_STORAGE_DIR: scratch,
    EXPRESS_MORGAN_DIRECTORY: scratch,
    WINSTON_CONSOLE_LEVEL: "error",
    SERVICE_AWAIT_UPDATES: "true",
  });
  const fromLrs = createRequire(createRequire(import.meta.url).resolve("xapi-statements"));
  const express = fromLrs("express");
  const config = fromLrs("./config").default;
  const presenter = fromLrs("./expressPresenter").default({
    llClientInfoEndpoint: config.llClientInfoEndpoint,
    customRoute: config.express.customRoute,
    customRouteText: config.express.customRouteText,
    morganDirectory: config.express.morganDirectory,
    bodyParserLimit: config.express.bodyParserLimit,
    service: fromLrs("./serviceFactory").default(),
    tracker: fromLrs("./tracker").default,
    translator: fromLrs("./translatorFactory").default(),
    logger: fromLrs("./logger").default,
  });
  const { statementsRoute } = fromLrs("./utils/constants");

  const username = "aprendiendo";
  const password = "s3cr3t-lrs-password";
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const requests: LearningLockerLrs["requests"] = [];
  const app = express();
  app.use(
    (
      request: { method: string; headers: Record<string, string | undefined> },
      response: { statusCode: number; end(): void; on(event: string, listener: () => void): void },
      next: () => void,
    ) => {
      const received = { method: request.method, version: request.headers["x-experience-api-version"], status: 0 };
      requests.push(received);
      response.on("finish", () => {
        received.status = response.statusCode;
      });
      if (request.headers.authorization !== basic) {
        response.statusCode = 401;
        response.end();
        return;
      }
      next();
    },
  );
  app.use(statementsRoute, presenter.statementsRouter);

  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/xAPI`;
  return {
    endpoint,
    username,
    password,
    requests,
    async stored() {
      const response = await fetch(`${endpoint}/statements?limit=1000`, {
        headers: { authorization: basic, "x-experience-api-version": "1.0.3" },
      });
      if (!response.ok) throw new Error(`the LRS answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { statements: { id: string }[] }).statements;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
