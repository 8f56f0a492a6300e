// Drives headless Chromium (the system's, through playwright-core) through one scenario
// and prints one JSON line: what the scenario returned, the page's console, its errors,
// the HTTP calls it made to the Realtime API with their timings, and where the
// screenshot went.
//
// Usage: node driver.mjs CONFIG.json, where the config holds
//   api         origin of the server under test ("http://127.0.0.1:PORT")
//   scenario    a page under ./pages ("plain.html"): the driver opens it and awaits
//               `window.runScenario(params)`; or a path to an ES module exporting
//               `run({page, api, pages, params, log})` that drives the page itself
//   params      handed to the scenario as is
//   wav         the fake microphone (played once, from getUserMedia on), optional
//   screenshot  a PNG path, optional; taken whether the scenario passed or not
//   timeout_ms  for the whole scenario
//   mdns        true: leave Chrome's mDNS hiding of host addresses on (off by default)
//   browser_args  more Chromium flags
//
// Pages are served by a small static server on 127.0.0.1 (another origin than the
// API, so CORS is exercised as in a real deployment); it also serves files from
// node_modules under /node_modules/, so a page can import an ES module bundle as is.

import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGES = path.join(HERE, 'pages');
const NODE_MODULES = path.resolve(HERE, '..', '..', '..', 'node_modules');
const CHROMIUM = process.env.REALTIME_SDK_CHROMIUM ?? '/usr/bin/chromium';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wav': 'audio/wav',
};

// The browser flags: fake devices, loopback ICE, no mDNS
// obfuscation of host candidates, audio without a user gesture.
// `mdns`: keep Chrome's default of hiding host addresses behind `<uuid>.local` names.
function chromiumArgs({ wav, mdns = false, browser_args = [] }) {
  const args = [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    '--no-sandbox',
    ...browser_args,
  ];
  if (!mdns) args.push('--disable-features=WebRtcHideLocalIpsWithMdns');
  if (wav) args.push(`--use-file-for-fake-audio-capture=${wav}%noloop`);
  return args;
}

/** A file under `root` for a URL path, or null (outside it, or not a file). */
async function fileUnder(root, urlPath) {
  const full = path.resolve(root, '.' + path.posix.normalize(decodeURIComponent(urlPath)));
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    return (await stat(full)).isFile() ? full : null;
  } catch {
    return null;
  }
}

async function staticServer() {
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://pages');
    const modules = url.pathname.startsWith('/node_modules/');
    const file = modules
      ? await fileUnder(NODE_MODULES, url.pathname.slice('/node_modules'.length))
      : await fileUnder(PAGES, url.pathname === '/' ? '/index.html' : url.pathname);
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    response.end(await readFile(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runScenario(config, page, pages, log) {
  const { scenario, api, params = {} } = config;
  if (scenario.endsWith('.mjs')) {
    const module = await import(pathToFileURL(path.resolve(scenario)).href);
    return module.run({ page, api, pages, params, log });
  }
  const url = new URL(scenario, pages + '/');
  url.searchParams.set('api', api);
  await page.goto(url.href);
  await page.waitForFunction(() => typeof window.runScenario === 'function', null, {
    timeout: 10_000,
  });
  return page.evaluate((p) => window.runScenario(p), { ...params, api });
}

/** The page's fetches of Realtime routes, from Resource Timing (ms since navigation). */
async function apiCalls(page, api) {
  return page.evaluate(
    (origin) =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.startsWith(origin))
        .map((e) => ({
          url: e.name.slice(origin.length),
          start_ms: e.startTime,
          end_ms: e.responseEnd,
          duration_ms: e.responseEnd - e.startTime,
        })),
    api,
  );
}

async function main() {
  const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
  const out = { ok: false, result: null, error: null, console: [], page_errors: [], timings: {} };
  const log = (text) => out.console.push(`[driver] ${text}`);
  const t0 = performance.now();
  const { server, origin } = await staticServer();
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs(config),
    });
    out.browser_version = browser.version();
    out.timings.launch_ms = performance.now() - t0;
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on('console', (m) => out.console.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => out.page_errors.push(String(e.stack ?? e)));
    try {
      const started = performance.now();
      out.result = await withTimeout(
        runScenario(config, page, origin, log),
        config.timeout_ms ?? 60_000,
        `scenario ${config.scenario}`,
      );
      out.timings.scenario_ms = performance.now() - started;
      out.ok = true;
    } catch (error) {
      out.error = String(error?.stack ?? error);
    }
    try {
      out.api_calls = await apiCalls(page, config.api);
    } catch (error) {
      log(`no resource timings: ${error}`);
    }
    if (config.screenshot) {
      try {
        await page.screenshot({ path: config.screenshot, fullPage: true });
        out.screenshot = config.screenshot;
      } catch (error) {
        log(`no screenshot: ${error}`);
      }
    }
  } catch (error) {
    out.error = String(error?.stack ?? error);
  } finally {
    await browser?.close().catch(() => {});
    server.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
