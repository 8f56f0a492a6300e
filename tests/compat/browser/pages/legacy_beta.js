// A page written for the beta service, as its WebRTC guide had it: a trusted side mints
// an ephemeral key with POST /v1/realtime/sessions (flat beta session, the key in
// `client_secret.value`), the page posts its SDP offer to /v1/realtime?model= with that
// key, and the `oai-events` channel then speaks beta. The fake microphone goes on the
// sender once the session exists, and the turn ends at `output_audio_buffer.stopped`.
//
// params: `key` (the API key that mints the session key), `model`, `session` (the beta
// session posted to /v1/realtime/sessions).

import { Meters, drawLevels, turnTiming } from './lib/audio.js';
import { EventLog, rtcSummary, sleep } from './lib/log.js';

const status = (text) => {
  document.querySelector('#status').textContent = text;
};

window.runScenario = async (params) => {
  const api = params.api;
  const model = params.model ?? 'gpt-4o-realtime-preview';
  const log = new EventLog(document.querySelector('#events'));
  const meters = await Meters.create();

  status('minting a session key');
  const minted = await fetch(`${api}/v1/realtime/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${params.key ?? 'sk-browser'}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, ...(params.session ?? {}) }),
  });
  const minted_body = await minted.json();
  if (minted.status !== 200) throw new Error(`session refused: ${JSON.stringify(minted_body)}`);
  const ephemeral = minted_body.client_secret.value;

  const pc = new RTCPeerConnection();
  const channel = pc.createDataChannel('oai-events');
  channel.addEventListener('message', (m) => log.add(JSON.parse(m.data), m.data.length));
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  let remote = null;
  pc.addEventListener('track', (e) => {
    remote = meters.watch('remote', e.streams[0] ?? new MediaStream([e.track]), { play: true });
  });

  status('offering');
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const response = await fetch(`${api}/v1/realtime?model=${encodeURIComponent(model)}`, {
    method: 'POST',
    body: offer.sdp,
    headers: { Authorization: `Bearer ${ephemeral}`, 'Content-Type': 'application/sdp' },
  });
  const answer = await response.text();
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
  await log.waitForCount('output_audio_buffer.stopped', 1, 30_000);
  await sleep(400); // the jitter buffer still holds the end of the reply
  const rtc = await rtcSummary(pc);

  status('hanging up');
  // call control is the application server's: the browser's ek_ key may not hang up
  // (403); a beta browser ends its call by closing the peer connection
  const hangup = await fetch(`${api}${location}/hangup`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ephemeral}` },
  });
  mic.getTracks().forEach((t) => t.stop());
  pc.close();
  drawLevels(document.querySelector('#levels'), [micMeter, remote].filter(Boolean));
  status(`done: ${log.types().length} events`);

  return {
    minted: { ...minted_body, client_secret: { prefix: ephemeral.slice(0, 3) } },
    status: response.status,
    location,
    events: log.summary(),
    raw: log.events.map((e) => e.event),
    mic: micMeter.summary(),
    remote: remote?.summary() ?? null,
    turn: remote ? turnTiming(micMeter, remote) : null,
    rtc,
    hangup_status: hangup.status,
  };
};
