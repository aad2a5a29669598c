import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";

const PORT = Number(process.env.PORT ?? 3000);
const REDIS_HOST = process.env.REDIS_HOST ?? "redis";
const CLAVE_API_FILE = process.env.CLAVE_API_FILE ?? "/run/secrets/clave_api";

// One command per connection, in Redis's own protocol (RESP): enough for a counter, and no
// dependency to download.
function redis(...args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(6379, REDIS_HOST);
    socket.setTimeout(2000, () => socket.destroy(new Error(`Redis (${REDIS_HOST}) no responde`)));
    socket.on("error", reject);
    socket.once("data", (data) => {
      socket.end();
      const reply = data.toString().trim();
      if (reply.startsWith("-")) reject(new Error(reply.slice(1)));
      else resolve(reply.slice(1));
    });
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`);
  });
}

function claveApi() {
  try {
    return readFileSync(CLAVE_API_FILE, "utf8").trim();
  } catch {
    return undefined;
  }
}

async function answer(request) {
  if (request.method === "GET" && request.url === "/") {
    const visitas = await redis("INCR", "visitas");
    return [200, `¡Hola! Esta página se ha visitado ${visitas} veces.\n`];
  }
  if (request.method === "GET" && request.url === "/salud") {
    return [200, `Redis: ${await redis("PING")}\n`];
  }
  if (request.method === "POST" && request.url === "/reiniciar") {
    const clave = claveApi();
    if (!clave) return [503, "Sin clave de API: falta el secreto clave_api.\n"];
    if (request.headers.authorization !== `Bearer ${clave}`) return [401, "Clave de API incorrecta.\n"];
    await redis("SET", "visitas", "0");
    return [200, "Contador a cero.\n"];
  }
  return [404, "No existe.\n"];
}

const server = http.createServer(async (request, response) => {
  const [status, body] = await answer(request).catch((error) => [503, `Error: ${error.message}\n`]);
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body);
  console.log(`${new Date().toISOString()} ${request.method} ${request.url} ${status}`);
});

server.listen(PORT, () => console.log(`contador escuchando en el puerto ${PORT}`));

// PID 1 in a container gets no default handler for SIGTERM: without this, `docker stop` waits
// 10 seconds and then kills.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
