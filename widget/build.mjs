// Builds dist/imp-widget.js (socket.io-client bundled in, minified, one IIFE) and copies the
// demo page into dist/. Runs offline once `npm ci --offline` has installed node_modules.
//   node build.mjs           build into dist/
//   node build.mjs --check   fail if the committed dist/ differs from a fresh build
import { build } from "esbuild";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes("--check");
const pkg = JSON.parse(await readFile(join(here, "package.json"), "utf8"));
const socketIo = JSON.parse(await readFile(join(here, "node_modules/socket.io-client/package.json"), "utf8"));
const out = check ? await mkdtemp(join(tmpdir(), "imp-widget-")) : join(here, "dist");

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(here, "src/index.js")],
  outfile: join(out, "imp-widget.js"),
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome87", "edge88", "firefox78", "safari15"],
  legalComments: "eof",
  charset: "utf8",
  define: { "process.env.NODE_ENV": '"production"' },
  banner: {
    js:
      `/*! IMP+ assistant chat widget ${pkg.version}. Bundles socket.io-client ${socketIo.version}, ` +
      "engine.io-client, socket.io-parser, engine.io-parser and @socket.io/component-emitter " +
      "(MIT License, Copyright (c) Guillermo Rauch and contributors). */",
  },
  logLevel: "warning",
});
for (const name of await readdir(join(here, "demo"))) {
  await copyFile(join(here, "demo", name), join(out, name));
}

if (check) {
  const stale = [];
  for (const name of await readdir(out)) {
    const fresh = await readFile(join(out, name));
    const committed = await readFile(join(here, "dist", name)).catch(() => null);
    if (!committed || !fresh.equals(committed)) stale.push(name);
  }
  await rm(out, { recursive: true, force: true });
  if (stale.length) {
    console.error(`dist/ is stale (${stale.join(", ")}): run npm run build and commit dist/`);
    process.exit(1);
  }
  console.log("dist/ is up to date");
} else {
  console.log(`built ${join(out, "imp-widget.js")}`);
}
