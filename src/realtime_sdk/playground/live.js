// Live mode: a GPT-Live session (`/v1/live/sessions`) over a websocket. The microphone
// goes out as 24 kHz PCM16 appends as it is captured, the output (which never stops:
// silence between replies) is played as it comes, both sides' words show as they are
// said, and the microphone can be muted without ending the session. Reads the server,
// key and ek_ choice from the Connection card, like the Translation card.

const RATE = 24000;
const MODEL = "gpt-live-1";

const $ = (id) => document.getElementById(id);

function toBase64(samples) {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  const raw = atob(text);
  const samples = new Int16Array(raw.length >> 1);
  for (let i = 0; i < samples.length; i += 1) samples[i] = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);
  return samples;
}

async function realtimeKey(baseUrl, apiKey) {
  const response = await fetch(`${baseUrl}/realtime/client_secrets`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
    body: "{}",
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`client_secrets: ${body.error ? body.error.message : response.status}`);
  return body.value;
}

class LiveSession {
  constructor(ui) {
    this.ui = ui;
    this.ws = null;
    this.context = null;
    this.playAt = 0;
  }

  setState(text, on) {
    this.ui.state.textContent = text;
    this.ui.start.disabled = on;
    this.ui.stop.disabled = !on;
    this.ui.mute.disabled = !on;
    document.body.dataset.live = on ? "on" : "off";
  }

  async start() {
    const baseUrl = $("base-url").value.replace(/\/$/, "");
    const apiKey = $("api-key").value.trim();
    this.ui.heard.textContent = "";
    this.ui.said.textContent = "";
    this.setState("connecting…", true);
    try {
      const key = $("use-ephemeral").checked ? await realtimeKey(baseUrl, apiKey) : apiKey;
      const url = new URL(`${baseUrl}/live/sessions`);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      this.context = new AudioContext({ sampleRate: RATE });
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      this.ws = new WebSocket(url.href, ["realtime", ...(key ? [`openai-insecure-api-key.${key}`] : [])]);
      this.ws.onopen = () => this.send({ type: "session.start", session: { model: MODEL } });
      this.ws.onmessage = (message) => this.onEvent(JSON.parse(message.data));
      this.ws.onclose = () => this.ended("closed");
      this.ws.onerror = () => this.ended("connection failed");
    } catch (error) {
      this.ended(String(error.message || error));
    }
  }

  onEvent(event) {
    this.ui.events.push(event);
    if (event.type === "session.started") {
      this.setState(`live: ${event.session.id}`, true);
      this.listen();
    } else if (event.type === "session.output_audio.delta") {
      this.play(fromBase64(event.delta));
    } else if (event.type === "session.input_transcript.delta") {
      this.ui.heard.textContent += event.delta;
    } else if (event.type === "session.output_transcript.delta") {
      this.ui.said.textContent += event.delta;
    } else if (event.type === "session.input_audio.muted" || event.type === "session.input_audio.unmuted") {
      this.ui.mute.textContent = event.type.endsWith(".muted") ? "Unmute" : "Mute";
    } else if (event.type === "error") {
      this.ui.state.textContent = `error: ${event.error.message}`;
    } else if (event.type === "session.closed") {
      this.ws.close();
    }
  }

  send(event) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(event));
  }

  listen() {
    this.source = this.context.createMediaStreamSource(this.stream);
    this.processor = this.context.createScriptProcessor(2048, 1, 1);
    this.processor.onaudioprocess = (audio) => {
      const input = audio.inputBuffer.getChannelData(0);
      const samples = new Int16Array(input.length);
      for (let i = 0; i < input.length; i += 1) samples[i] = Math.max(-32768, Math.min(32767, Math.round(input[i] * 32767)));
      this.send({ type: "session.input_audio.append", audio: toBase64(samples) });
    };
    this.source.connect(this.processor);
    this.processor.connect(this.context.destination);
  }

  play(samples) {
    if (!this.context || samples.length === 0) return;
    const buffer = this.context.createBuffer(1, samples.length, RATE);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i += 1) channel[i] = samples[i] / 32768;
    const node = this.context.createBufferSource();
    node.buffer = buffer;
    node.connect(this.context.destination);
    this.playAt = Math.max(this.playAt, this.context.currentTime);
    node.start(this.playAt);
    this.playAt += buffer.duration;
  }

  toggleMute() {
    this.send({ type: this.ui.mute.textContent === "Mute" ? "session.input_audio.mute" : "session.input_audio.unmute" });
  }

  stop() {
    this.ui.state.textContent = "ending…";
    this.release();
    this.send({ type: "session.close" });
  }

  release() {
    if (this.processor) this.processor.disconnect();
    if (this.source) this.source.disconnect();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.processor = this.source = this.stream = null;
  }

  ended(why) {
    this.release();
    this.ws = null;
    this.setState(why, false);
    this.ui.mute.textContent = "Mute";
  }
}

export function setUpLive() {
  const ui = {
    start: $("live-start"),
    stop: $("live-stop"),
    mute: $("live-mute"),
    state: $("live-state"),
    heard: $("live-heard"),
    said: $("live-said"),
    events: [],
  };
  const session = new LiveSession(ui);
  window.liveEvents = ui.events; // for the browser test and the curious
  ui.start.addEventListener("click", () => session.start());
  ui.stop.addEventListener("click", () => session.stop());
  ui.mute.addEventListener("click", () => session.toggleMute());
  session.setState("not live", false);
}
