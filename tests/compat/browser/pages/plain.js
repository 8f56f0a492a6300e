// A page as a developer would write it with no SDK: a peer connection with one audio
// transceiver and the `oai-events` data channel, the offer POSTed as application/sdp to
// /v1/realtime/calls, the answer applied, then the fake microphone put on the sender
// once the session exists (so the recorded speech starts at a known point).
//
// params: `key` (Bearer key), `gathered` (wait for ICE gathering and post the full
// description), `codecs` (offer only these, e.g. ["audio/PCMU"]), `until`/`count` (the event that ends the turn, default the first
// `output_audio_buffer.stopped`), `turn_timeout_ms`, and `after_turn`: client events
// sent one by one once the turn is over, each `{...event, expect, pause_ms}` waiting
// for its `expect` event; "$user" and "$assistant" stand for the turn's item ids.

import { Meters, drawLevels, turnTiming } from './lib/audio.js';
import { EventLog, rtcSummary, sleep, until } from './lib/log.js';

const status = (text) => {
  document.querySelector('#status').textContent = text;
};

window.runScenario = async (params) => {
  const api = params.api;
  const auth = { Authorization: `Bearer ${params.key ?? 'sk-browser'}` };
  const log = new EventLog(document.querySelector('#events'));
  const meters = await Meters.create();
  const started = performance.now();

  const pc = new RTCPeerConnection();
  const channel = pc.createDataChannel('oai-events');
  channel.addEventListener('message', (m) => log.add(JSON.parse(m.data), m.data.length));
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  if (params.codecs) {
    // offer only these (e.g. ["audio/PCMU"]): the server's fallback from Opus
    const wanted = params.codecs.map((c) => c.toLowerCase());
    const all = RTCRtpReceiver.getCapabilities('audio').codecs;
    transceiver.setCodecPreferences(all.filter((c) => wanted.includes(c.mimeType.toLowerCase())));
  }
  let remote = null;
  pc.addEventListener('track', (e) => {
    remote = meters.watch('remote', e.streams[0] ?? new MediaStream([e.track]), { play: true });
  });

  status('offering');
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  if (params.gathered) {
    // some pages wait for every candidate and post the complete description instead
    await until(() => pc.iceGatheringState === 'complete', 10_000, 'ICE gathering did not end');
  }
  const sdp = params.gathered ? pc.localDescription.sdp : offer.sdp; // the SDKs post offer.sdp
  const posted = performance.now();
  const response = await fetch(`${api}/v1/realtime/calls?model=gpt-realtime`, {
    method: 'POST',
    body: sdp,
    headers: { 'Content-Type': 'application/sdp', ...auth },
  });
  const answer = await response.text();
  const answered = performance.now();
  if (response.status !== 201) throw new Error(`offer refused: ${response.status} ${answer}`);
  const location = response.headers.get('Location');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });

  status('waiting for session.created');
  await log.waitFor('session.created', 15_000);
  const mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  await transceiver.sender.replaceTrack(mic.getAudioTracks()[0]);
  const micMeter = meters.watch('mic', mic);

  status('talking');
  // by default one turn; `until`/`count` wait for the n-th of another event
  await log.waitForCount(
    params.until ?? 'output_audio_buffer.stopped',
    params.count ?? 1,
    params.turn_timeout_ms ?? 30_000,
  );
  await sleep(400); // the browser's jitter buffer still holds the end of the reply
  const rtc = await rtcSummary(pc);
  const ids = {
    $user: log.first('input_audio_buffer.speech_started')?.event.item_id,
    $assistant: log.first('response.output_item.added')?.event.item?.id,
  };
  for (const event of params.after_turn ?? []) {
    // client events to send once the turn is over, each with the type of its answer
    const { expect, pause_ms: pause = 0, ...send } = event;
    await sleep(pause);
    const seen = log.events.length;
    channel.send(JSON.stringify(send, (_, v) => ids[v] ?? v));
    await log.waitForCount(expect, log.events.filter((e) => e.type === expect).length + 1, 10_000);
    if (log.events.length === seen) throw new Error(`no answer to ${send.type}`);
  }

  status('hanging up');
  const hangup = await fetch(`${api}${location}/hangup`, { method: 'POST', headers: auth });
  await until(() => channel.readyState === 'closed', 10_000, 'the data channel did not close');
  mic.getTracks().forEach((t) => t.stop());
  pc.close();
  drawLevels(document.querySelector('#levels'), [micMeter, remote].filter(Boolean));
  status(`done: ${log.types().length} events`);

  return {
    status: response.status,
    content_type: response.headers.get('Content-Type'),
    location,
    offer_candidates: sdp.split('\n').filter((l) => l.startsWith('a=candidate:')),
    answer_has_candidates: answer.includes('a=candidate:'),
    offer_to_answer_ms: answered - posted,
    scenario_start_ms: started,
    events: log.summary(),
    mic: micMeter.summary(),
    remote: remote?.summary() ?? null,
    turn: remote ? turnTiming(micMeter, remote) : null,
    rtc,
    hangup_status: hangup.status,
    channel_state: channel.readyState,
  };
};
