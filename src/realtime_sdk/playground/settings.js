// The session settings form, both ways: form -> a GA session config (for the call's
// `session` part, a client secret and `session.update`), and the server's effective
// session -> form, so the form always shows what the session really is.

const TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe";

export class Settings {
  /** @param {(id: string) => HTMLElement} $ */
  constructor($) {
    this.instructions = $("instructions");
    this.voice = $("voice");
    this.modality = $("modality");
    this.turnDetection = $("turn-detection");
    this.silence = $("silence-ms");
    this.transcribe = $("transcribe");
    this.tools = $("tools");
    this.error = $("settings-error");
    this.transcriptionModel = TRANSCRIPTION_MODEL;
    this.current = null; // the session as the server last told it
    this.turnDetection.addEventListener("change", () => this.syncEnabled());
    this.syncEnabled();
  }

  syncEnabled() {
    this.silence.disabled = !this.turnDetection.checked;
  }

  showError(message) {
    this.error.textContent = message || "";
    this.error.hidden = !message;
  }

  /** The form as a session config, or an Error naming the field that is wrong. */
  session() {
    let tools;
    try {
      tools = JSON.parse(this.tools.value.trim() || "[]");
    } catch (error) {
      throw new Error(`Tools: not JSON (${error.message})`);
    }
    if (!Array.isArray(tools)) throw new Error("Tools: expected a JSON array of tools");
    const silence = Number.parseInt(this.silence.value, 10);
    if (this.turnDetection.checked && !(silence > 0)) {
      throw new Error("Silence: expected a number of milliseconds");
    }
    const session = {
      type: "realtime",
      output_modalities: [this.modality.value],
      audio: {
        input: {
          transcription: this.transcribe.checked ? { model: this.transcriptionModel } : null,
          turn_detection: this.turnDetection.checked
            ? { type: "server_vad", silence_duration_ms: silence }
            : null,
        },
        output: { voice: this.voice.value },
      },
      tools,
    };
    const instructions = this.instructions.value.trim();
    if (instructions) session.instructions = instructions;
    return session;
  }

  /** Show the server's effective session (from session.created / session.updated). */
  show(session) {
    this.current = session;
    if (typeof session.instructions === "string") this.instructions.value = session.instructions;
    const modalities = session.output_modalities || session.modalities;
    if (Array.isArray(modalities) && modalities.length) {
      this.modality.value = modalities.includes("audio") ? "audio" : "text";
    }
    const input = (session.audio && session.audio.input) || {};
    const output = (session.audio && session.audio.output) || {};
    const voice = output.voice ?? session.voice;
    if (typeof voice === "string") {
      if (![...this.voice.options].some((option) => option.value === voice)) {
        this.voice.append(new Option(voice, voice));
      }
      this.voice.value = voice;
    }
    const detection = "turn_detection" in input ? input.turn_detection : session.turn_detection;
    if (detection !== undefined) {
      this.turnDetection.checked = detection !== null;
      if (detection && detection.silence_duration_ms) {
        this.silence.value = String(detection.silence_duration_ms);
      }
    }
    const transcription =
      "transcription" in input ? input.transcription : session.input_audio_transcription;
    if (transcription !== undefined) {
      this.transcribe.checked = transcription !== null;
      if (transcription && transcription.model) this.transcriptionModel = transcription.model;
    }
    if (Array.isArray(session.tools)) this.tools.value = JSON.stringify(session.tools, null, 2);
    this.syncEnabled();
    this.showError("");
  }
}
