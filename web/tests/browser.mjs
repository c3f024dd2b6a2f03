// The server as a browser meets it: GraphiQL renders from the server alone, runs its
// default query over the seed, and breaks no Content-Security-Policy rule; and a page of
// another origin may call /graphql (a CORS preflight, then the POST) only when the server
// allows that origin.
//
//   node tests/browser.mjs --url http://127.0.0.1:8000 \
//     [--cors-allowed http://localhost:8001] [--cors-denied http://127.0.0.1:8001]
//
// Each --cors-* origin is served a blank page by this script, on the origin's port; the
// server is expected to have been started with COMMUNIQUE_CORS_ORIGINS naming the allowed
// one. The browser is Chromium at $CHROMIUM (default /usr/bin/chromium). A screenshot of
// GraphiQL is saved as target/browser/graphiql.png at the repository root, pass or fail.

import { mkdir } from "node:fs/promises";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: options } = parseArgs({
  options: {
    url: { type: "string", default: process.env.COMMUNIQUE_URL },
    "cors-allowed": { type: "string", multiple: true, default: [] },
    "cors-denied": { type: "string", multiple: true, default: [] },
  },
});
if (!options.url) {
  console.error("usage: node tests/browser.mjs --url BASE_URL [--cors-allowed ORIGIN] [--cors-denied ORIGIN]");
  process.exit(2);
}
const base = new URL(options.url);
const screenshot = fileURLToPath(new URL("../../target/browser/graphiql.png", import.meta.url));
/** How long GraphiQL may take to render, and a query to answer. */
const TIMEOUT_MS = 30_000;
/** A name the default query's answer holds: a participant of the call it asks for. */
const EXPECTED_NAME = "Vladimir Putin";

let passed = 0;
let failed = 0;
function check(ok, name, detail = "") {
  if (ok) {
    passed += 1;
    console.log(`ok - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok - ${name}${detail ? `\n  ${detail.replaceAll("\n", "\n  ")}` : ""}`);
  }
  return ok;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  await graphiql(browser);
  await cors(browser);
} finally {
  await browser.close();
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/** Loads `/`, runs the default query, and checks the answer, the console and the network. */
async function graphiql(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const foreign = [];
  const failedRequests = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      consoleErrors.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) =>
    failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.url()}: ${response.status()}`);
  });
  // Anything bound elsewhere than the server is recorded and never sent.
  await page.route(
    (url) => url.origin !== base.origin,
    (route) => {
      foreign.push(route.request().url());
      return route.abort("blockedbyclient");
    },
  );

  try {
    const home = new URL("/", base).href;
    const loaded = await page.goto(home).then(
      (response) => (response?.status() === 200 ? "" : `status ${response?.status()}`),
      (error) => error.message,
    );
    if (!check(loaded === "", `${home} loads`, loaded)) {
      return;
    }
    const rendered = await page
      .locator(".graphiql-container .graphiql-query-editor .CodeMirror")
      .waitFor({ timeout: TIMEOUT_MS })
      .then(() => true)
      .catch(() => false);
    if (
      !check(
        rendered,
        "GraphiQL renders",
        `no GraphiQL editor at ${base.href} after ${TIMEOUT_MS / 1000} s; the page says:\n` +
          (await page.locator("body").innerText().catch(() => "(no body)")).slice(0, 2000) +
          (consoleErrors.length ? `\nconsole:\n${consoleErrors.join("\n")}` : ""),
      )
    ) {
      return;
    }

    const query = await editorValue(page, ".graphiql-query-editor");
    check(
      query.includes("query PhoneCallAndItsAccounts"),
      "the editor holds the default query",
      query.slice(0, 500),
    );

    await page.locator(".graphiql-execute-button").click();
    const answered = await page
      .waitForFunction(
        (name) =>
          document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror?.getValue().includes(name),
        EXPECTED_NAME,
        { timeout: TIMEOUT_MS },
      )
      .then(() => true)
      .catch(() => false);
    const answer = await editorValue(page, ".graphiql-response");
    if (check(answered, `the result panel shows ${EXPECTED_NAME}`, answer.slice(0, 2000))) {
      let body = null;
      try {
        body = JSON.parse(answer);
      } catch (error) {
        check(false, "the result panel holds JSON", `${error}: ${answer.slice(0, 500)}`);
      }
      if (body) {
        const names = body.data?.event?.participants?.map((p) => p.actor.name) ?? [];
        check(
          !body.errors && names.includes(EXPECTED_NAME),
          "the default query answers without errors, with the call's participants",
          JSON.stringify(body.errors ?? names),
        );
      }
    }
  } finally {
    await mkdir(fileURLToPath(new URL("../../target/browser/", import.meta.url)), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`# screenshot: ${screenshot}`);
    check(consoleErrors.length === 0, "no console error, warning or CSP violation", consoleErrors.join("\n"));
    check(foreign.length === 0, `no request leaves ${base.origin}`, foreign.join("\n"));
    check(failedRequests.length === 0, "no request fails or gets an error status", failedRequests.join("\n"));
    await context.close();
  }
}

/** The text of the CodeMirror editor inside `selector`, in full (the DOM holds only the visible lines). */
function editorValue(page, selector) {
  return page.evaluate(
    (selector) => document.querySelector(`${selector} .CodeMirror`)?.CodeMirror?.getValue() ?? "",
    selector,
  );
}

/** From a blank page of each origin, a JSON POST to /graphql: it succeeds only from an allowed one. */
async function cors(browser) {
  const origins = [
    ...options["cors-allowed"].map((origin) => ({ origin: new URL(origin), allowed: true })),
    ...options["cors-denied"].map((origin) => ({ origin: new URL(origin), allowed: false })),
  ];
  if (origins.length === 0) {
    console.log("# CORS: skipped, no --cors-allowed or --cors-denied origin given");
    return;
  }
  const servers = await Promise.all(
    [...new Set(origins.map(({ origin }) => origin.port))].map((port) => blankPageServer(Number(port))),
  );
  const context = await browser.newContext();
  try {
    const api = new URL("/graphql", base).href;
    for (const { origin, allowed } of origins) {
      const page = await context.newPage();
      await page.goto(new URL("/", origin).href);
      const result = await page.evaluate(async (api) => {
        try {
          const response = await fetch(api, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: '{ actor(slug: "vladimir-putin") { name } }' }),
          });
          return { status: response.status, body: await response.text() };
        } catch (error) {
          return { error: `${error.name}: ${error.message}` };
        }
      }, api);
      const answered = await preflight(api, origin.origin);
      const detail = `in the browser: ${JSON.stringify(result)}\npreflight from Node: ${answered}`;
      if (allowed) {
        check(
          result.status === 200 && result.body.includes(EXPECTED_NAME),
          `CORS: ${origin.origin} may POST JSON to ${api}`,
          detail,
        );
      } else {
        // The server must be up for the browser's refusal to be a refusal of CORS.
        check(
          result.error?.startsWith("TypeError") && !answered.startsWith("no answer"),
          `CORS: ${origin.origin} may not read ${api}`,
          detail,
        );
      }
      await page.close();
    }
  } finally {
    await context.close();
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

/** What the server answers the preflight a browser sends before a JSON POST from `origin`. */
async function preflight(api, origin) {
  try {
    const response = await fetch(api, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    const allowOrigin = response.headers.get("access-control-allow-origin") ?? "none";
    return `${response.status}, access-control-allow-origin: ${allowOrigin}`;
  } catch (error) {
    return `no answer: ${error.message}`;
  }
}

/** An HTTP server on `port`, every interface, answering a blank page. */
function blankPageServer(port) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end("<!doctype html><title>another origin</title>");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}
