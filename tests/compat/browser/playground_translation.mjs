// The playground's translation mode, driven as a person would use it: the fake microphone
// plays recorded speech, "Translate the microphone" opens a translation session, both
// transcript columns fill, translated audio arrives, "Stop" closes the session.
// Run by tests/compat/test_playground_translation.py through run_page.

const STEP_MS = 60_000;

function count(type) {
  return window.translationEvents.filter((event) => event.type === type).length;
}

export async function run({ page, api, params, log }) {
  await page.goto(`${api}/`);
  await page.waitForSelector('body[data-translation="off"]', { timeout: STEP_MS });
  await page.fill("#translate-language", params.language);
  await page.click("#translate-start");
  await page.waitForFunction(() => document.getElementById("translate-said").textContent.length > 0,
    null, { timeout: STEP_MS, polling: 100 });
  log("translation text shown");
  const during = await page.evaluate(() => ({
    state: document.getElementById("translate-state").textContent,
    audio_deltas: window.translationEvents.filter((e) => e.type === "session.output_audio.delta").length,
  }));
  await page.click("#translate-stop");
  await page.waitForSelector('body[data-translation="off"]', { timeout: STEP_MS });
  if (params.screenshot) await page.screenshot({ path: params.screenshot, fullPage: true });
  return page.evaluate(([before, counter]) => {
    const counted = new Function(`return (${counter})`)();
    return {
      during: before,
      heard: document.getElementById("translate-heard").textContent,
      said: document.getElementById("translate-said").textContent,
      state: document.getElementById("translate-state").textContent,
      created: counted("session.created"),
      updated: counted("session.updated"),
      closed: counted("session.closed"),
      errors: window.translationEvents.filter((e) => e.type === "error"),
      language: (window.translationEvents.find((e) => e.type === "session.updated") || {}).session,
    };
  }, [during, count.toString()]);
}
