// Audio levels in the page: the microphone as sent and the remote track as heard,
// measured in 20 ms blocks by an AudioWorklet, on one clock mapped to performance.now().

export const BLOCK_MS = 20;
export const VOICED_RMS = 300; // int16 units (-40 dBFS): speech is well above, Opus silence is 0

export class Meters {
  static async create(sampleRate = 48000) {
    const context = new AudioContext({ sampleRate });
    await context.audioWorklet.addModule(new URL('./meter-worklet.js', import.meta.url));
    await context.resume();
    return new Meters(context);
  }

  constructor(context) {
    this.context = context;
    this.meters = new Map();
    this.offsetMs = Infinity; // performance.now() - audio clock, at its smallest seen
  }

  /** Measure `stream`; `play` also plays it through an <audio> element (remote audio). */
  watch(label, stream, { play = false } = {}) {
    if (play) {
      const element = document.createElement('audio');
      element.autoplay = true;
      element.srcObject = stream;
      document.body.append(element);
    }
    const meter = new Meter(label, this);
    const node = new AudioWorkletNode(this.context, 'level-meter', {
      processorOptions: { blockSamples: (this.context.sampleRate * BLOCK_MS) / 1000 },
    });
    node.port.onmessage = ({ data }) => {
      const now = performance.now();
      this.offsetMs = Math.min(this.offsetMs, now - data.end * 1000);
      meter.blocks.push({ end: data.end, rms: Math.round(data.rms * 32768) });
    };
    this.context.createMediaStreamSource(stream).connect(node);
    node.connect(this.context.destination); // pulled by the graph; it outputs silence
    this.meters.set(label, meter);
    return meter;
  }

  /** A block's end as page time (ms since navigation start). */
  pageMs(end) {
    return end * 1000 + this.offsetMs;
  }
}

export class Meter {
  constructor(label, meters) {
    this.label = label;
    this.meters = meters;
    this.blocks = [];
  }

  voiced(from = -Infinity, to = Infinity) {
    return this.blocks.filter(
      (b) => b.rms >= VOICED_RMS && this.ms(b) >= from && this.ms(b) <= to,
    );
  }

  ms(block) {
    return this.meters.pageMs(block.end);
  }

  /** [start, end] page times of voiced stretches, split at pauses over `gapMs`. */
  spans(voiced, gapMs = 300) {
    const spans = [];
    for (const block of voiced) {
      const end = this.ms(block);
      const last = spans.at(-1);
      if (last && end - last[1] <= gapMs) last[1] = end;
      else spans.push([end - BLOCK_MS, end]);
    }
    return spans.map(([a, b]) => [Math.round(a), Math.round(b)]);
  }

  /** The 20 ms levels from the first voiced block to the last (the utterance's envelope). */
  voicedStretch() {
    const loud = this.blocks.map((b, i) => (b.rms >= VOICED_RMS ? i : -1)).filter((i) => i >= 0);
    return loud.length ? this.blocks.slice(loud[0], loud.at(-1) + 1).map((b) => b.rms) : [];
  }

  /** Levels per 100 ms and the voiced time, as plain JSON for the test. */
  summary() {
    const per100 = [];
    const group = 100 / BLOCK_MS;
    for (let i = 0; i + group <= this.blocks.length; i += group) {
      const slice = this.blocks.slice(i, i + group);
      per100.push(Math.round(Math.sqrt(slice.reduce((s, b) => s + b.rms * b.rms, 0) / group)));
    }
    const voiced = this.voiced();
    return {
      label: this.label,
      blocks: this.blocks.length,
      rms_per_100ms: per100,
      rms_voiced_20ms: this.voicedStretch(),
      peak_rms: Math.max(0, ...this.blocks.map((b) => b.rms)),
      voiced_s: (voiced.length * BLOCK_MS) / 1000,
      voiced_spans: this.spans(voiced),
      first_voiced_ms: voiced.length ? this.ms(voiced[0]) : null,
      last_voiced_ms: voiced.length ? this.ms(voiced.at(-1)) : null,
    };
  }
}

/** When the user stopped talking before the reply was heard, and when it was heard. */
export function turnTiming(mic, remote) {
  const heard = remote.voiced()[0];
  if (!heard) return { speech_end_ms: null, first_heard_ms: null, latency_ms: null };
  const firstHeard = remote.ms(heard);
  const spoken = mic.voiced(-Infinity, firstHeard);
  const speechEnd = spoken.length ? mic.ms(spoken.at(-1)) : null;
  return {
    speech_end_ms: speechEnd,
    first_heard_ms: firstHeard,
    latency_ms: speechEnd === null ? null : firstHeard - speechEnd,
  };
}

/** Draw the levels (for the screenshot). */
export function drawLevels(canvas, meters) {
  const g = canvas.getContext('2d');
  const rows = [...meters];
  const height = canvas.height / Math.max(1, rows.length);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  const times = rows.flatMap((m) => m.blocks.map((b) => m.ms(b)));
  const start = Math.min(...times);
  const perPixel = Math.max(1, (Math.max(...times) - start) / (canvas.width - 70)); // ms
  rows.forEach((meter, row) => {
    g.fillStyle = '#333';
    g.fillText(meter.label, 4, row * height + 12);
    g.fillStyle = row ? '#c60' : '#06c';
    for (const b of meter.blocks) {
      const x = 60 + (meter.ms(b) - start) / perPixel;
      const h = Math.min(1, b.rms / 8000) * (height - 16);
      g.fillRect(x, (row + 1) * height - h, Math.max(1, BLOCK_MS / perPixel), h);
    }
  });
}
