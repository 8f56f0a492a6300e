// The playground's Live mode, driven as a person would use it: the fake microphone plays
// recorded speech, "Talk live" starts a GPT-Live session, both transcript columns fill
// and audio plays, "Mute" and "Unmute" answer, "End" closes the session.
// Run by tests/compat/test_playground_live.py through run_page.

const STEP_MS = 60_000;

export async function run({ page, api, log }) {
  await page.goto(`${api}/`);
  await page.waitForSelector('body[data-live="off"]', { timeout: STEP_MS });
  await page.click("#live-start");
  await page.waitForFunction(() => document.getElementById("live-said").textContent.length > 0,
    null, { timeout: STEP_MS, polling: 100 });
  log("live reply shown");
  await page.click("#live-mute");
  await page.waitForFunction(() => document.getElementById("live-mute").textContent === "Unmute",
    null, { timeout: STEP_MS, polling: 100 });
  await page.click("#live-mute");
  await page.waitForFunction(() => document.getElementById("live-mute").textContent === "Mute",
    null, { timeout: STEP_MS, polling: 100 });
  const state = await page.evaluate(() => document.getElementById("live-state").textContent);
  await page.click("#live-stop");
  await page.waitForSelector('body[data-live="off"]', { timeout: STEP_MS });
  return page.evaluate((during) => {
    const events = window.liveEvents;
    const count = (type) => events.filter((e) => e.type === type).length;
    return {
      during,
      heard: document.getElementById("live-heard").textContent,
      said: document.getElementById("live-said").textContent,
      state: document.getElementById("live-state").textContent,
      started: count("session.started"),
      muted: count("session.input_audio.muted"),
      unmuted: count("session.input_audio.unmuted"),
      closed: count("session.closed"),
      audio_deltas: count("session.output_audio.delta"),
      errors: events.filter((e) => e.type === "error"),
    };
  }, state);
}
