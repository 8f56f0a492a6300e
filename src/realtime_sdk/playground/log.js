// The event log: every event both ways, newest last, filterable by type and direction.
// A row's JSON is rendered only when opened, so a chatty session stays cheap.

const MAX_ROWS = 2000;

/** A one-line hint of what an event says, next to its type. */
function hint(event) {
  if (event.type === "error" && event.error) return event.error.message || event.error.code || "";
  if (typeof event.delta === "string") return event.delta;
  if (typeof event.transcript === "string") return event.transcript;
  if (typeof event.text === "string") return event.text;
  if (event.response && event.response.status) return event.response.status;
  if (event.item && event.item.type) {
    return [event.item.type, event.item.role, event.item.id].filter(Boolean).join(" ");
  }
  return event.item_id || "";
}

function clock() {
  const now = new Date();
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
}

export class EventLog {
  /** @param {HTMLOListElement} list @param {HTMLElement} counter */
  constructor(list, counter) {
    this.list = list;
    this.counter = counter;
    this.total = 0;
    this.filter = { terms: [], direction: "all", hideDeltas: false };
  }

  /** `direction`: "in" (server to page) or "out" (page to server). */
  add(direction, event) {
    const row = document.createElement("li");
    row.className = "event";
    row.dataset.direction = direction;
    row.dataset.type = event.type || "";
    row.dataset.ms = performance.now().toFixed(1); // for measuring gaps between events
    if (event.type === "error") row.classList.add("is-error");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    const time = document.createElement("time");
    time.textContent = clock();
    const arrow = document.createElement("span");
    arrow.className = "arrow";
    arrow.textContent = direction === "in" ? "↓" : "↑";
    arrow.title = direction === "in" ? "server → page" : "page → server";
    const type = document.createElement("span");
    type.className = "type";
    type.textContent = event.type || "(no type)";
    const note = document.createElement("span");
    note.className = "hint";
    note.textContent = hint(event);
    summary.append(time, arrow, type, note);
    details.append(summary);
    details.addEventListener("toggle", () => {
      if (details.open && details.childElementCount === 1) {
        const pre = document.createElement("pre");
        pre.textContent = JSON.stringify(event, null, 2);
        details.append(pre);
      }
    });
    row.append(details);
    row.hidden = !this.shows(row);
    const follow = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 24;
    this.list.append(row);
    while (this.list.childElementCount > MAX_ROWS) this.list.firstElementChild.remove();
    this.total += 1;
    this.counter.textContent = String(this.total);
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  /**
   * `text`: words matched against the type (any may match; `!word` leaves matches out),
   * `direction`: all, in or out; `hideDeltas`: leave out the `*.delta` events.
   */
  setFilter({ text, direction, hideDeltas }) {
    const words = (text || "").split(/[\s,]+/).filter(Boolean);
    this.filter = { terms: words, direction: direction || "all", hideDeltas: Boolean(hideDeltas) };
    for (const row of this.list.children) row.hidden = !this.shows(row);
    this.list.scrollTop = this.list.scrollHeight;
  }

  shows(row) {
    const { terms, direction, hideDeltas } = this.filter;
    const type = row.dataset.type;
    if (direction !== "all" && row.dataset.direction !== direction) return false;
    if (hideDeltas && type.endsWith(".delta")) return false;
    const wanted = terms.filter((t) => !t.startsWith("!"));
    const unwanted = terms.filter((t) => t.startsWith("!") && t.length > 1).map((t) => t.slice(1));
    if (unwanted.some((t) => type.includes(t))) return false;
    return wanted.length === 0 || wanted.some((t) => type.includes(t));
  }

  clear() {
    this.list.replaceChildren();
    this.total = 0;
    this.counter.textContent = "0";
  }
}
