// Level of whatever is connected to this node, one RMS per block, on the audio clock.
class LevelMeter extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.blockSamples = options.processorOptions.blockSamples;
    this.sum = 0;
    this.count = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (channel) {
      for (let i = 0; i < channel.length; i++) this.sum += channel[i] * channel[i];
      this.count += channel.length;
      if (this.count >= this.blockSamples) {
        // `currentTime` is the start of this render quantum; the block ends with it
        const end = currentTime + channel.length / sampleRate;
        this.port.postMessage({ end, rms: Math.sqrt(this.sum / this.count) });
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }
}

registerProcessor('level-meter', LevelMeter);
