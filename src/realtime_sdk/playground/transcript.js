// The conversation as the server tells it: one entry per item, in the order the items
// were added, filled by the transcript and text events of both sides. Entries carry
// `data-item-id`, `data-role` and `data-status` (pending, partial, final, failed,
// cancelled) so that what a person sees can be read back exactly. A function call gets
// a small form whose answer goes to `onFunctionOutput(callId, output)`.

const LABELS = { user: "You", assistant: "Agent", tool: "Function" };
const USER_TRANSCRIPT = "conversation.item.input_audio_transcription.";
const ASSISTANT_DELTAS = new Set([
  "response.output_audio_transcript.delta",
  "response.output_text.delta",
  "response.audio_transcript.delta", // beta names
  "response.text.delta",
]);
const ASSISTANT_DONE = {
  "response.output_audio_transcript.done": "transcript",
  "response.output_text.done": "text",
  "response.audio_transcript.done": "transcript",
  "response.text.done": "text",
};

/** The text an item already holds (typed text, or a finished transcript), or null. */
function itemText(item) {
  const parts = [];
  for (const part of item.content || []) {
    const text = part.text ?? part.transcript;
    if (typeof text === "string") parts.push(text);
  }
  return parts.length ? parts.join("") : null;
}

function hasAudio(item) {
  return (item.content || []).some((part) => /audio/.test(part.type || ""));
}

export class Transcript {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.entries = new Map();
    this.onFunctionOutput = null;
  }

  clear() {
    this.entries.clear();
    this.list.replaceChildren();
  }

  entry(itemId, role) {
    let li = this.entries.get(itemId);
    if (!li) {
      li = document.createElement("li");
      li.className = "turn";
      li.dataset.itemId = itemId;
      li.dataset.role = role;
      li.dataset.status = "pending";
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = LABELS[role] || role;
      const text = document.createElement("span");
      text.className = "text";
      li.append(who, text);
      this.entries.set(itemId, li);
      this.list.append(li);
    }
    return li;
  }

  text(li) {
    return li.querySelector(".text");
  }

  append(itemId, role, delta) {
    const li = this.entry(itemId, role);
    if (li.dataset.status === "final") return;
    this.text(li).textContent += delta;
    li.dataset.status = "partial";
    this.scroll();
  }

  finish(itemId, role, text, status = "final") {
    const li = this.entry(itemId, role);
    if (typeof text === "string") this.text(li).textContent = text;
    li.dataset.status = status;
    this.scroll();
  }

  scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Take one server event; events that do not concern the conversation are ignored. */
  handle(event) {
    const type = event.type || "";
    if (
      type === "conversation.item.added" ||
      type === "conversation.item.done" ||
      type === "conversation.item.created" ||
      type === "conversation.item.retrieved"
    ) {
      this.item(event.item || {}, type);
    } else if (type.startsWith(USER_TRANSCRIPT)) {
      const stage = type.slice(USER_TRANSCRIPT.length);
      if (stage === "delta") this.append(event.item_id, "user", event.delta || "");
      else if (stage === "completed") this.finish(event.item_id, "user", event.transcript);
      else if (stage === "failed") {
        const li = this.entry(event.item_id, "user");
        li.dataset.status = "failed";
        li.title = (event.error && event.error.message) || "transcription failed";
      }
    } else if (ASSISTANT_DELTAS.has(type)) {
      this.append(event.item_id, "assistant", event.delta || "");
    } else if (type in ASSISTANT_DONE) {
      this.finish(event.item_id, "assistant", event[ASSISTANT_DONE[type]]);
    } else if (type === "response.function_call_arguments.done") {
      this.functionCall(event.item_id, event.name, event.arguments, event.call_id);
    } else if (type === "conversation.item.truncated") {
      const li = this.entries.get(event.item_id);
      if (li) li.dataset.truncated = "true";
    } else if (type === "conversation.item.deleted") {
      const li = this.entries.get(event.item_id);
      if (li) li.remove();
      this.entries.delete(event.item_id);
    } else if (type === "response.done") {
      const response = event.response || {};
      if (response.status === "cancelled" || response.status === "failed") {
        for (const item of response.output || []) {
          const li = this.entries.get(item.id);
          if (li) li.dataset.status = response.status;
        }
      }
    }
  }

  item(item, type) {
    if (!item.id) return;
    if (item.type === "message" && (item.role === "user" || item.role === "assistant")) {
      const li = this.entry(item.id, item.role);
      const text = itemText(item);
      if (text !== null && li.dataset.status !== "final") {
        const done = item.role === "user" || type !== "conversation.item.added";
        this.finish(item.id, item.role, text, done ? "final" : "partial");
      } else if (text === null && !hasAudio(item) && type === "conversation.item.done") {
        li.dataset.status = "final";
      }
    } else if (item.type === "function_call_output") {
      this.finish(item.id, "tool", `→ ${item.output}`);
    } else if (item.type === "function_call" && item.name && item.arguments) {
      this.functionCall(item.id, item.name, item.arguments, item.call_id);
    }
  }

  /** A call the model made; the form under it sends the function's output back. */
  functionCall(itemId, name, args, callId) {
    const li = this.entry(itemId, "tool");
    this.finish(itemId, "tool", `${name}(${args})`);
    if (!callId || !this.onFunctionOutput || li.dataset.callId) return;
    li.dataset.callId = callId;
    const form = document.createElement("form");
    form.className = "function-output";
    const input = document.createElement("input");
    input.type = "text";
    input.placeholder = `what ${name} returned`;
    input.setAttribute("aria-label", `output of ${name}`);
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Send output";
    form.append(input, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.onFunctionOutput(callId, input.value);
      form.remove();
    });
    li.append(form);
    this.scroll();
  }
}
