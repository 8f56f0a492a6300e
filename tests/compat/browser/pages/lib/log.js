// The server events a page received, with their arrival time, shown on the page.

export class EventLog {
  constructor(element) {
    this.element = element;
    this.events = [];
    this.waiters = [];
  }

  /** `bytes`: the message's length as it came (data-channel limits are in bytes). */
  add(event, bytes = null) {
    const entry = { t: performance.now(), type: event.type, event, bytes };
    this.events.push(entry);
    if (this.element) {
      const line = document.createElement('div');
      line.textContent = `${entry.t.toFixed(0).padStart(6)} ms  ${event.type}`;
      this.element.append(line);
    }
    this.waiters = this.waiters.filter((w) => !w(entry));
  }

  first(type) {
    return this.events.find((e) => e.type === type) ?? null;
  }

  types() {
    return this.events.map((e) => e.type);
  }

  /** The first event of `type` (already here or to come), or an error after `ms`. */
  waitFor(type, ms) {
    const seen = this.first(type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no ${type} within ${ms} ms; got: ${this.types().join(', ')}`));
      }, ms);
      this.waiters.push((entry) => {
        if (entry.type !== type) return false;
        clearTimeout(timer);
        resolve(entry);
        return true;
      });
    });
  }

  /** Once `count` events of `type` have come, or an error after `ms`. */
  async waitForCount(type, count, ms) {
    const deadline = performance.now() + ms;
    while (this.events.filter((e) => e.type === type).length < count) {
      if (performance.now() > deadline) {
        throw new Error(`fewer than ${count} ${type} within ${ms} ms; got: ${this.types().join(', ')}`);
      }
      await sleep(20);
    }
  }

  /** For the test: type, time and the few fields worth checking. */
  summary() {
    return this.events.map(({ t, type, event, bytes }) => ({
      t: Math.round(t),
      type,
      ...(bytes !== null && { bytes }),
      ...(event.response?.status && { status: event.response.status }),
      ...(event.response?.status_details?.reason && { reason: event.response.status_details.reason }),
      ...(event.error && { error: event.error }),
      ...(event.item_id && { item_id: event.item_id }),
      ...(event.audio_start_ms !== undefined && { audio_start_ms: event.audio_start_ms }),
      ...(event.audio_end_ms !== undefined && { audio_end_ms: event.audio_end_ms }),
    }));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(condition, ms, what) {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await sleep(20);
  }
}

/** Codec, addresses and packet counts from getStats, for the test. */
export async function rtcSummary(pc) {
  const stats = [...(await pc.getStats()).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const codec = (s) => byId.get(s?.codecId)?.mimeType ?? null;
  const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
  const outbound = stats.find((s) => s.type === 'outbound-rtp' && s.kind === 'audio');
  const pair = stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
  return {
    connection_state: pc.connectionState,
    inbound_codec: codec(inbound),
    outbound_codec: codec(outbound),
    packets_received: inbound?.packetsReceived ?? 0,
    packets_lost: inbound?.packetsLost ?? 0,
    // how the paced audio arrived: played from a steady jitter buffer, or patched up
    jitter_ms: (inbound?.jitter ?? 0) * 1000,
    jitter_buffer_ms: inbound?.jitterBufferEmittedCount
      ? (inbound.jitterBufferDelay / inbound.jitterBufferEmittedCount) * 1000
      : null,
    samples_received: inbound?.totalSamplesReceived ?? 0,
    concealed_samples: inbound?.concealedSamples ?? 0,
    silent_concealed_samples: inbound?.silentConcealedSamples ?? 0,
    inserted_for_deceleration: inbound?.insertedSamplesForDeceleration ?? 0,
    removed_for_acceleration: inbound?.removedSamplesForAcceleration ?? 0,
    packets_sent: outbound?.packetsSent ?? 0,
    local_address: byId.get(pair?.localCandidateId)?.address ?? null,
    remote_address: byId.get(pair?.remoteCandidateId)?.address ?? null,
  };
}
