// One WebRTC call to a Realtime server, the way OpenAI's browser clients make it: the
// offer goes to `POST {base}/realtime/calls`, events travel on the `oai-events` data
// channel, audio both ways over RTP. No UI here; app.js listens to the callbacks.

/** The `{error: {message}}` body the server answers with, as an Error. */
async function httpError(response, what) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new Error(`${what}: ${message}`);
}

function authHeaders(bearer) {
  return bearer ? { Authorization: `Bearer ${bearer}` } : {};
}

/** An `ek_` key for `session`, minted with the API key (or on an open server). */
export async function ephemeralKey(baseUrl, apiKey, session) {
  const response = await fetch(`${baseUrl}/realtime/client_secrets`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders(apiKey) },
    body: JSON.stringify({ session }),
  });
  if (!response.ok) throw await httpError(response, "client_secrets");
  const body = await response.json();
  return body.value;
}

export class Call {
  /**
   * @param {{onEvent: (event: object) => void, onState: (state: string, detail?: string) => void,
   *          onRemoteStream: (stream: MediaStream) => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.pc = null;
    this.channel = null;
    this.microphone = null;
    this.callUrl = null;
    this.bearer = "";
    this.sent = 0;
  }

  /**
   * Offer, post, answer. `session` (a GA session config) goes along as the multipart
   * `session` part; with an `ek_` key the key already carries it and the offer is posted bare.
   */
  async open({ baseUrl, bearer, session, microphone }) {
    this.bearer = bearer || "";
    this.microphone = microphone || null;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.ontrack = (event) => {
      this.handlers.onRemoteStream(event.streams[0] || new MediaStream([event.track]));
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") this.handlers.onState("failed", "ICE failed");
    };
    if (this.microphone) {
      for (const track of this.microphone.getAudioTracks()) pc.addTrack(track, this.microphone);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    const channel = pc.createDataChannel("oai-events");
    this.channel = channel;
    channel.onopen = () => this.handlers.onState("connected");
    channel.onclose = () => this.handlers.onState("closed");
    channel.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        event = { type: "(not JSON)", data: String(message.data) };
      }
      this.handlers.onEvent(event);
    };

    await pc.setLocalDescription(await pc.createOffer());
    let body;
    let headers = authHeaders(this.bearer);
    if (this.bearer.startsWith("ek_") || !session) {
      body = pc.localDescription.sdp;
      headers = { ...headers, "Content-Type": "application/sdp" };
    } else {
      body = new FormData();
      body.set("sdp", pc.localDescription.sdp);
      body.set("session", JSON.stringify(session));
    }
    const response = await fetch(`${baseUrl}/realtime/calls`, { method: "POST", headers, body });
    if (!response.ok) throw await httpError(response, "calls");
    const location = response.headers.get("Location");
    if (location) this.callUrl = new URL(location, new URL(baseUrl, window.location.href)).href;
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    return this.callUrl ? this.callUrl.split("/").pop() : null;
  }

  get isOpen() {
    return this.channel !== null && this.channel.readyState === "open";
  }

  /** Send a client event; gives it an `event_id` so that errors can point at it. */
  send(event) {
    if (!this.isOpen) throw new Error("not connected");
    const withId = { event_id: `evt_page_${++this.sent}`, ...event };
    this.channel.send(JSON.stringify(withId));
    return withId;
  }

  /** Hang up (the server ends the session at once) and release the microphone. With an
   * `ek_` key the page may not hang up (call control needs an API key): closing the peer
   * connection ends the call. */
  async close() {
    const url = this.callUrl;
    this.callUrl = null;
    const mayHangUp = !this.bearer.startsWith("ek_");
    if (url && mayHangUp && this.channel && this.channel.readyState !== "closed") {
      try {
        await fetch(`${url}/hangup`, { method: "POST", headers: authHeaders(this.bearer) });
      } catch {
        // the server may be gone already; closing the peer connection ends the call too
      }
    }
    if (this.channel) this.channel.close();
    if (this.pc) this.pc.close();
    if (this.microphone) for (const track of this.microphone.getTracks()) track.stop();
    this.channel = null;
    this.pc = null;
    this.microphone = null;
  }
}
