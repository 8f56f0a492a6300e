// The playground page (served by the server at `/`) driven as a person would use it,
// with the fake microphone playing recorded speech. A scenario module for driver.mjs:
// tests/helpers/browser.py runs it with `run_page("tests/compat/browser/playground.mjs", ...)`.
//
// Steps: connect with the microphone; wait for the user's transcript and the agent's
// reply; a text turn; session settings applied; the event log filtered; a reply
// interrupted; a screenshot (params.screenshot) while connected; disconnect. Returns
// each step's outcome and duration, and what the page shows (state, transcript, log).
// A failing step throws; `log` has recorded the steps before it.

const STEP_MS = 60_000;

/** What the page shows: its state, the transcript entries and the event log rows. */
function readPage() {
  const turns = [...document.querySelectorAll("#transcript .turn")].map((li) => ({
    role: li.dataset.role,
    status: li.dataset.status,
    truncated: li.dataset.truncated === "true",
    item_id: li.dataset.itemId,
    text: li.querySelector(".text").textContent,
  }));
  const events = [...document.querySelectorAll("#event-log .event")].map((row) => ({
    direction: row.dataset.direction,
    type: row.dataset.type,
    visible: !row.hidden,
    ms: Number(row.dataset.ms),
  }));
  return {
    state: document.body.dataset.state,
    status: document.getElementById("status").textContent,
    session_id: document.body.dataset.sessionId || null,
    call_id: document.body.dataset.callId || null,
    turns,
    events,
  };
}

/** The agent's audio received over RTP so far (the page's own peer connection). */
async function inboundAudio() {
  const call = window.playground.call;
  if (!call || !call.pc) return null;
  for (const entry of (await call.pc.getStats()).values()) {
    if (entry.type === "inbound-rtp" && entry.kind === "audio") {
      return {
        bytes: entry.bytesReceived,
        samples: entry.totalSamplesReceived,
        energy: entry.totalAudioEnergy,
      };
    }
  }
  return null;
}

/** How many final transcript entries of `role` hold text. */
function finalTurns(role) {
  return [...document.querySelectorAll(`#transcript .turn[data-role="${role}"]`)].filter(
    (li) => li.dataset.status === "final" && li.querySelector(".text").textContent.trim(),
  ).length;
}

/** How many rows of the event log have this type. */
function eventsOf(type) {
  return document.querySelectorAll(`#event-log .event[data-type="${type}"]`).length;
}

/** The rows of the event log as [type, direction, shown]. */
function rows() {
  return [...document.querySelectorAll("#event-log .event")].map((row) => [
    row.dataset.type,
    row.dataset.direction,
    !row.hidden,
  ]);
}

/** Wait until `counter(arg)`, counted in the page, is above `above`. */
async function waitAbove(page, counter, arg, above) {
  await page.waitForFunction(
    ([source, value, floor]) => new Function(`return (${source})`)()(value) > floor,
    [counter.toString(), arg, above],
    { timeout: STEP_MS, polling: 100 },
  );
}

/** `params.flow`: "voice" (the default) or "keys". */
export async function run(context) {
  return context.params.flow === "keys" ? keysFlow(context) : voiceFlow(context);
}

function stepper(report, log) {
  return async (name, body) => {
    const t0 = Date.now();
    report.steps[name] = (await body()) ?? true;
    report.timings_ms[name] = Date.now() - t0;
    log(`${name}: done in ${report.timings_ms[name]} ms`);
  };
}

/**
 * A server with an API key: a wrong key fails visibly; the right one mints an `ek_`
 * key that opens a call without the microphone; settings the page or the server refuse
 * say why; a typed turn gets a text reply; a function call is answered from its form.
 */
async function keysFlow({ page, api, params, log }) {
  const report = { steps: {}, timings_ms: {} };
  const step = stepper(report, log);
  await page.goto(`${api}/`);
  await page.waitForSelector('body[data-state="idle"]', { timeout: STEP_MS });
  await page.uncheck("#use-mic");
  await page.check("#use-ephemeral");
  await page.selectOption("#modality", "text");

  await step("wrong_key", async () => {
    await page.fill("#api-key", "sk-wrong");
    await page.click("#connect");
    await page.waitForSelector('body[data-state="failed"]', { timeout: STEP_MS });
    return { status: await page.textContent("#status") };
  });

  await step("connect", async () => {
    await page.fill("#api-key", params.key);
    await page.click("#connect");
    await page.waitForSelector('body[data-state="connected"]', { timeout: STEP_MS });
    await page.waitForFunction(() => window.playground.settings.current !== null);
    return page.evaluate(() => ({
      bearer_prefix: window.playground.call.bearer.slice(0, 3),
      modalities: window.playground.settings.current.output_modalities,
      modality_shown: document.getElementById("modality").value,
      mute_enabled: !document.getElementById("mute").disabled,
    }));
  });

  await step("bad_settings", async () => {
    const sent = () => document.querySelectorAll('#event-log .event[data-direction="out"]').length;
    const before = await page.evaluate(sent);
    await page.fill("#tools", "[not json");
    await page.click("#apply");
    const local = await page.textContent("#settings-error");
    const sentAfterLocal = await page.evaluate(sent);
    await page.fill("#tools", '[{"type": "function", "nme": "lookup"}]');
    await page.click("#apply");
    await waitAbove(page, eventsOf, "error", 0);
    const result = {
      local,
      sent_after_local: sentAfterLocal - before,
      header: await page.textContent("#last-error"),
      under_settings: await page.textContent("#settings-error"),
    };
    await page.fill("#tools", "[]");
    return result;
  });

  await step("text_turn", async () => {
    await page.fill("#text-input", "hello from the text box");
    await page.click("#send");
    await waitAbove(page, finalTurns, "assistant", 0);
    return page.evaluate(readPage);
  });

  await step("function_call", async () => {
    const tool = {
      type: "function",
      name: "lookup",
      description: "The weather in a city.",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    };
    const updated = await page.evaluate(eventsOf, "session.updated");
    await page.fill("#tools", JSON.stringify([tool]));
    await page.click("#apply");
    await waitAbove(page, eventsOf, "session.updated", updated);
    report.steps.error_after_update = await page.isVisible("#last-error");
    const replies = await page.evaluate(finalTurns, "assistant");
    await page.fill("#text-input", 'call lookup {"city": "Paris"}');
    await page.press("#text-input", "Enter");
    const form = '#transcript .turn[data-role="tool"] form.function-output';
    await page.waitForSelector(form, { timeout: STEP_MS });
    await page.fill(`${form} input`, "sunny, 21 C");
    await page.click(`${form} button`);
    await waitAbove(page, finalTurns, "assistant", replies);
    return page.evaluate(readPage);
  });

  await step("disconnect", async () => {
    await page.click("#disconnect");
    await page.waitForSelector('body[data-state="closed"]', { timeout: STEP_MS });
    return true;
  });
  return report;
}

/** Speech from the fake microphone, a typed turn, settings, filters, interrupt. */
async function voiceFlow({ page, api, params, log }) {
  const report = { steps: {}, timings_ms: {} };
  const started = Date.now();
  const step = stepper(report, log);

  await page.setViewportSize({ width: 1360, height: 1000 });

  await step("load", async () => {
    await page.goto(`${api}/`);
    await page.waitForSelector('body[data-state="idle"]', { timeout: STEP_MS });
    return { base_url: await page.inputValue("#base-url") };
  });

  await step("connect", async () => {
    await page.click("#connect");
    await page.waitForSelector('body[data-state="connected"]', { timeout: STEP_MS });
    return { call_id: await page.evaluate(() => document.body.dataset.callId) };
  });

  await step("voice_turn", async () => {
    await waitAbove(page, finalTurns, "user", 0);
    report.timings_ms.user_transcript_after_start = Date.now() - started;
    await waitAbove(page, finalTurns, "assistant", 0);
    report.timings_ms.agent_reply_after_start = Date.now() - started;
    await waitAbove(page, eventsOf, "output_audio_buffer.stopped", 0);
    const element = await page.evaluate(() => {
      const audio = document.getElementById("remote-audio");
      return { attached: audio.srcObject !== null, paused: audio.paused };
    });
    return { audio: await page.evaluate(inboundAudio), element };
  });

  await step("text_turn", async () => {
    const before = await page.evaluate(finalTurns, "assistant");
    await page.fill("#text-input", "testing one two three");
    await page.press("#text-input", "Enter");
    await waitAbove(page, finalTurns, "assistant", before);
    return { input_after: await page.inputValue("#text-input") };
  });

  await step("settings", async () => {
    const before = await page.evaluate(eventsOf, "session.updated");
    await page.fill("#instructions", "Answer in one short sentence.");
    await page.selectOption("#voice", "marin");
    await page.uncheck("#turn-detection");
    await page.click("#apply");
    await waitAbove(page, eventsOf, "session.updated", before);
    const detectionAfterFirst = await page.isChecked("#turn-detection");
    await page.check("#turn-detection");
    await page.fill("#silence-ms", "700");
    await page.click("#apply");
    await waitAbove(page, eventsOf, "session.updated", before + 1);
    return page.evaluate((off) => {
      const value = (id) => document.getElementById(id).value;
      return {
        session: window.playground.settings.current,
        turn_detection_after_first: off,
        instructions: value("instructions"),
        voice: value("voice"),
        turn_detection: document.getElementById("turn-detection").checked,
        silence_ms: value("silence-ms"),
      };
    }, detectionAfterFirst);
  });

  await step("filter", async () => {
    await page.fill("#event-filter", "transcript");
    const byType = await page.evaluate(rows);
    await page.fill("#event-filter", "response. !delta");
    const excluding = await page.evaluate(rows);
    await page.fill("#event-filter", "");
    await page.check("#hide-deltas");
    const noDeltas = await page.evaluate(rows);
    await page.uncheck("#hide-deltas");
    await page.selectOption("#event-direction", "out");
    const byDirection = await page.evaluate(rows);
    await page.selectOption("#event-direction", "all");
    const afterReset = await page.evaluate(rows);
    return {
      by_type: byType,
      excluding,
      no_deltas: noDeltas,
      by_direction: byDirection,
      after_reset: afterReset,
    };
  });

  await step("interrupt", async () => {
    const playing = await page.evaluate(eventsOf, "output_audio_buffer.started");
    const cleared = await page.evaluate(eventsOf, "output_audio_buffer.cleared");
    await page.fill(
      "#text-input",
      "please say this whole long sentence back to me slowly word by word so that there is" +
        " time to interrupt it before it ends",
    );
    await page.press("#text-input", "Enter");
    await waitAbove(page, eventsOf, "output_audio_buffer.started", playing);
    const enabled = await page.isEnabled("#interrupt");
    await page.click("#interrupt");
    await waitAbove(page, eventsOf, "output_audio_buffer.cleared", cleared);
    await page.waitForSelector("#interrupt:disabled", { timeout: STEP_MS });
    return { enabled_while_playing: enabled };
  });

  if (params.screenshot) await page.screenshot({ path: params.screenshot });
  report.page = await page.evaluate(readPage);

  await step("disconnect", async () => {
    await page.click("#disconnect");
    await page.waitForSelector('body[data-state="closed"]', { timeout: STEP_MS });
    return page.evaluate(() => ({
      state: document.body.dataset.state,
      connect_enabled: !document.getElementById("connect").disabled,
      send_enabled: !document.getElementById("send").disabled,
    }));
  });
  return report;
}
