// Translation mode: a realtime translation session (`/v1/realtime/translations`) over a
// websocket, the microphone sent as 200 ms appends of 24 kHz PCM16, the translated audio
// played as it comes, and both transcripts side by side. Independent of the call in
// app.js: it reads the server, key and ek_ choice from the Connection card.

const RATE = 24000;
const FRAME = RATE / 5; // 200 ms: what the engine consumes
const MODEL = "gpt-realtime-translate";

const $ = (id) => document.getElementById(id);

function base64OfInt16(samples) {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function int16OfBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return new Int16Array(bytes.buffer, 0, bytes.length >> 1);
}

async function translationKey(baseUrl, apiKey, language) {
  const response = await fetch(`${baseUrl}/realtime/translations/client_secrets`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ session: { model: MODEL, audio: { output: { language } } } }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`client_secrets: ${body.error ? body.error.message : response.status}`);
  return body.value;
}

class Translator {
  constructor(ui) {
    this.ui = ui;
    this.ws = null;
    this.context = null;
    this.stream = null;
    this.held = new Int16Array(0);
    this.playAt = 0;
  }

  setState(text, live) {
    this.ui.state.textContent = text;
    this.ui.start.disabled = live;
    this.ui.stop.disabled = !live;
    document.body.dataset.translation = live ? "on" : "off";
  }

  async start() {
    const baseUrl = $("base-url").value.replace(/\/$/, "");
    const apiKey = $("api-key").value.trim();
    const language = this.ui.language.value.trim() || "es";
    this.ui.heard.textContent = "";
    this.ui.said.textContent = "";
    this.setState("connecting…", true);
    try {
      const key = $("use-ephemeral").checked ? await translationKey(baseUrl, apiKey, language) : apiKey;
      const url = new URL(`${baseUrl}/realtime/translations`);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      url.searchParams.set("model", MODEL);
      const protocols = ["realtime", ...(key ? [`openai-insecure-api-key.${key}`] : [])];
      this.context = new AudioContext({ sampleRate: RATE });
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      this.ws = new WebSocket(url.href, protocols);
      this.ws.onmessage = (message) => this.onEvent(JSON.parse(message.data), language);
      this.ws.onclose = () => this.stopped("closed");
      this.ws.onerror = () => this.stopped("connection failed");
    } catch (error) {
      this.stopped(String(error.message || error));
    }
  }

  onEvent(event, language) {
    this.ui.events.push(event);
    if (event.type === "session.created") {
      const audio = { output: { language }, input: { transcription: { model: "whisper-1" } } };
      this.send({ type: "session.update", session: { audio } });
    } else if (event.type === "session.updated") {
      this.setState(`translating into ${event.session.audio.output.language}`, true);
      if (!this.source) this.listen();
    } else if (event.type === "session.input_transcript.delta") {
      this.ui.heard.textContent += event.delta;
    } else if (event.type === "session.output_transcript.delta") {
      this.ui.said.textContent += event.delta;
    } else if (event.type === "session.output_audio.delta") {
      this.play(int16OfBase64(event.delta), event.sample_rate || RATE);
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
    const context = this.context;
    this.source = context.createMediaStreamSource(this.stream);
    this.processor = context.createScriptProcessor(4096, 1, 1);
    this.processor.onaudioprocess = (audio) => {
      const input = audio.inputBuffer.getChannelData(0);
      const samples = new Int16Array(input.length);
      for (let i = 0; i < input.length; i += 1) {
        samples[i] = Math.max(-32768, Math.min(32767, Math.round(input[i] * 32767)));
      }
      this.push(samples);
    };
    this.source.connect(this.processor);
    this.processor.connect(context.destination);
  }

  push(samples) {
    const all = new Int16Array(this.held.length + samples.length);
    all.set(this.held);
    all.set(samples, this.held.length);
    let start = 0;
    for (; start + FRAME <= all.length; start += FRAME) {
      this.send({ type: "session.input_audio_buffer.append", audio: base64OfInt16(all.slice(start, start + FRAME)) });
    }
    this.held = all.slice(start);
  }

  play(samples, rate) {
    const context = this.context;
    if (!context || samples.length === 0) return;
    const buffer = context.createBuffer(1, samples.length, rate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i += 1) channel[i] = samples[i] / 32768;
    const node = context.createBufferSource();
    node.buffer = buffer;
    node.connect(context.destination);
    this.playAt = Math.max(this.playAt, context.currentTime);
    node.start(this.playAt);
    this.playAt += buffer.duration;
  }

  stop() {
    this.ui.state.textContent = "finishing…";
    if (this.held.length) {
      this.send({ type: "session.input_audio_buffer.append", audio: base64OfInt16(this.held) });
      this.held = new Int16Array(0);
    }
    this.release();
    this.send({ type: "session.close" });
  }

  release() {
    if (this.processor) this.processor.disconnect();
    if (this.source) this.source.disconnect();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.processor = this.source = this.stream = null;
  }

  stopped(why) {
    this.release();
    this.ws = null;
    this.setState(why, false);
  }
}

export function setUpTranslation() {
  const ui = {
    language: $("translate-language"),
    start: $("translate-start"),
    stop: $("translate-stop"),
    state: $("translate-state"),
    heard: $("translate-heard"),
    said: $("translate-said"),
    events: [],
  };
  const translator = new Translator(ui);
  window.translationEvents = ui.events; // for the browser test and the curious
  ui.start.addEventListener("click", () => translator.start());
  ui.stop.addEventListener("click", () => translator.stop());
  translator.setState("not translating", false);
}
