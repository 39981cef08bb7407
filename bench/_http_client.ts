// The host's client of the httpd row: N sequential GETs of http://127.0.0.1:PORT/PATH,
// one connection each (busybox httpd closes after every answer). Exits 1 with the reason
// when a request fails or answers other than 200.
// Run: node dist/bench/_http_client.js PORT PATH N

import { get } from "node:http";

// The path is given without its leading slash, so that it is not taken for a host file.
const [port = "80", name = "", count = "1"] = process.argv.slice(2);
const path = `/${name}`;

function once(): Promise<void> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port: Number(port), path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    }).on("error", reject);
  });
}

try {
  for (let i = 0; i < Number(count); i++) await once();
} catch (error) {
  console.error(`http client: ${(error as Error).message}`);
  process.exitCode = 1;
}
