// The playground: wires the form, the call, the transcript and the event log together.
// The page's state is on <body data-state> (idle, connecting, connected, closed, failed)
// and a response in progress on #response-state[data-active].

import { Call, ephemeralKey } from "./call.js";
import { EventLog } from "./log.js";
import { Settings } from "./settings.js";
import { Transcript } from "./transcript.js";
import { setUpLive } from "./live.js";
import { setUpTranslation } from "./translate.js";

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  connected: "Connected",
  closed: "Disconnected",
  failed: "Failed",
};

const ui = {
  baseUrl: $("base-url"),
  apiKey: $("api-key"),
  useEphemeral: $("use-ephemeral"),
  useMic: $("use-mic"),
  connect: $("connect"),
  disconnect: $("disconnect"),
  interrupt: $("interrupt"),
  mute: $("mute"),
  level: $("mic-level"),
  audio: $("remote-audio"),
  apply: $("apply"),
  status: $("status"),
  sessionId: $("session-id"),
  lastError: $("last-error"),
  responseState: $("response-state"),
  textForm: $("text-form"),
  textInput: $("text-input"),
  send: $("send"),
  filter: $("event-filter"),
  direction: $("event-direction"),
  hideDeltas: $("hide-deltas"),
  clearLog: $("clear-log"),
};

const settings = new Settings($);
setUpTranslation(); // the Translation card: a session of its own, beside the call
setUpLive(); // the Live card: a GPT-Live session of its own, beside the call
const transcript = new Transcript($("transcript"));
const log = new EventLog($("event-log"), $("event-count"));

let call = null;
let activeResponse = null; // id of the response writing to the conversation
let audioPlaying = false; // between output_audio_buffer.started and stopped/cleared
let hearing = false; // between input_audio_buffer.speech_started and speech_stopped
let stopMeter = null;

ui.baseUrl.value = new URL("v1", window.location.href).href.replace(/\/$/, "");

function setState(state, detail) {
  document.body.dataset.state = state;
  ui.status.dataset.state = state;
  ui.status.textContent = detail ? `${STATUS_TEXT[state]}: ${detail}` : STATUS_TEXT[state];
  const live = state === "connected";
  const busy = state === "connecting" || live;
  ui.connect.disabled = busy;
  ui.disconnect.disabled = !busy;
  ui.apply.disabled = !live;
  ui.textInput.disabled = !live;
  ui.send.disabled = !live;
  ui.mute.disabled = !live || !(call && call.microphone);
  for (const input of [ui.baseUrl, ui.apiKey, ui.useEphemeral, ui.useMic]) input.disabled = busy;
  updateInterrupt();
}

function updateInterrupt() {
  const live = document.body.dataset.state === "connected";
  ui.interrupt.disabled = !live || !(activeResponse || audioPlaying);
  ui.responseState.dataset.active = String(Boolean(activeResponse));
  ui.responseState.textContent = hearing
    ? "hearing you…"
    : activeResponse
      ? "responding…"
      : audioPlaying
        ? "playing audio…"
        : "";
}

function send(event) {
  try {
    log.add("out", call.send(event));
  } catch (error) {
    setState(document.body.dataset.state, error.message);
  }
}

function onEvent(event) {
  log.add("in", event);
  transcript.handle(event);
  switch (event.type) {
    case "session.created":
    case "session.updated":
      if (event.session) {
        if (ui.lastError.dataset.param?.startsWith("session")) showError({});
        settings.show(event.session);
        ui.sessionId.textContent = event.session.id || "";
        document.body.dataset.sessionId = event.session.id || "";
      }
      break;
    case "response.created":
      if (!event.response || event.response.conversation_id !== null) {
        activeResponse = (event.response && event.response.id) || "response";
      }
      break;
    case "response.done":
      if (!event.response || event.response.id === activeResponse) activeResponse = null;
      break;
    case "input_audio_buffer.speech_started":
      hearing = true;
      break;
    case "input_audio_buffer.speech_stopped":
    case "input_audio_buffer.cleared":
      hearing = false;
      break;
    case "output_audio_buffer.started":
      audioPlaying = true;
      break;
    case "output_audio_buffer.stopped":
    case "output_audio_buffer.cleared":
      audioPlaying = false;
      break;
    case "error":
      showError(event.error || {});
      break;
    default:
      break;
  }
  updateInterrupt();
}

/** The server's latest `error` event, in the header (and under the settings if it is theirs). */
function showError(error) {
  const code = error.code ? ` (${error.code})` : "";
  ui.lastError.textContent = error.message ? `${error.message}${code}` : "";
  ui.lastError.hidden = !error.message;
  ui.lastError.dataset.param = error.param || "";
  if (error.param && error.param.startsWith("session")) settings.showError(error.message);
}

/** A live level for the microphone, so a silent input is noticed before talking. */
function meter(stream) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  const tick = () => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    ui.level.value = Math.min(1, peak * 1.5);
    frame = requestAnimationFrame(tick);
  };
  tick();
  return () => {
    cancelAnimationFrame(frame);
    ui.level.value = 0;
    context.close();
  };
}

async function connect() {
  let session;
  try {
    session = settings.session();
  } catch (error) {
    settings.showError(error.message);
    return;
  }
  settings.showError("");
  showError({});
  setState("connecting");
  transcript.clear();
  activeResponse = null;
  audioPlaying = false;
  hearing = false;
  const baseUrl = ui.baseUrl.value.trim().replace(/\/$/, "");
  const apiKey = ui.apiKey.value.trim();
  let microphone = null;
  try {
    if (ui.useMic.checked) {
      if (!navigator.mediaDevices) {
        throw new Error("the microphone needs https:// or localhost (or untick Use the microphone)");
      }
      microphone = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      stopMeter = meter(microphone);
    }
    let bearer = apiKey;
    if (ui.useEphemeral.checked) {
      bearer = await ephemeralKey(baseUrl, apiKey, session);
      log.add("out", { type: "(http) POST /realtime/client_secrets", key: `${bearer.slice(0, 8)}…` });
    }
    call = new Call({
      onEvent,
      onRemoteStream: (stream) => {
        ui.audio.srcObject = stream;
        ui.audio.play().catch(() => {});
      },
      onState: (state, detail) => {
        if (state === "closed" || state === "failed") teardown(state, detail);
        else setState(state, detail);
      },
    });
    const callId = await call.open({ baseUrl, bearer, session, microphone });
    document.body.dataset.callId = callId || "";
  } catch (error) {
    if (microphone && !call) for (const track of microphone.getTracks()) track.stop();
    await teardown("failed", error.message);
  }
}

async function teardown(state, detail) {
  const ending = call;
  call = null;
  activeResponse = null;
  audioPlaying = false;
  hearing = false;
  if (stopMeter) stopMeter();
  stopMeter = null;
  ui.audio.srcObject = null;
  ui.mute.setAttribute("aria-pressed", "false");
  ui.mute.textContent = "Mute mic";
  setState(state, detail);
  if (ending) await ending.close();
}

ui.connect.addEventListener("click", connect);
ui.lastError.addEventListener("click", () => showError({}));
ui.disconnect.addEventListener("click", () => teardown("closed"));

ui.apply.addEventListener("click", () => {
  try {
    send({ type: "session.update", session: settings.session() });
    settings.showError("");
  } catch (error) {
    settings.showError(error.message);
  }
});

ui.interrupt.addEventListener("click", () => {
  if (activeResponse) send({ type: "response.cancel" });
  send({ type: "output_audio_buffer.clear" });
});

ui.mute.addEventListener("click", () => {
  if (!call || !call.microphone) return;
  const muted = ui.mute.getAttribute("aria-pressed") !== "true";
  for (const track of call.microphone.getAudioTracks()) track.enabled = !muted;
  ui.mute.setAttribute("aria-pressed", String(muted));
  ui.mute.textContent = muted ? "Unmute mic" : "Mute mic";
});

transcript.onFunctionOutput = (callId, output) => {
  send({
    type: "conversation.item.create",
    item: { type: "function_call_output", call_id: callId, output },
  });
  send({ type: "response.create" });
};

ui.textForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.textInput.value.trim();
  if (!text || !call) return;
  if (activeResponse) send({ type: "response.cancel" });
  send({
    type: "conversation.item.create",
    item: { type: "message", role: "user", content: [{ type: "input_text", text }] },
  });
  send({ type: "response.create" });
  ui.textInput.value = "";
});

function refilter() {
  log.setFilter({
    text: ui.filter.value,
    direction: ui.direction.value,
    hideDeltas: ui.hideDeltas.checked,
  });
}
ui.filter.addEventListener("input", refilter);
ui.direction.addEventListener("change", refilter);
ui.hideDeltas.addEventListener("change", refilter);
ui.clearLog.addEventListener("click", () => log.clear());

window.addEventListener("pagehide", () => {
  if (call) call.close();
});

// for the console (and tests): the live call, its peer connection and stats
window.playground = {
  get call() {
    return call;
  },
  transcript,
  log,
  settings,
};

setState("idle");
