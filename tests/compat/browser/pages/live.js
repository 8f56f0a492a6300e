// A GPT-Live session from a page with no SDK: a peer connection with one audio
// transceiver and a data channel, the offer POSTed as JSON `{session, transport: {type:
// "webrtc", sdp}}` to /v1/live/sessions (creation starts the session), the answer
// applied, the fake microphone put on the sender once `session.started` arrives; once
// the server has said something back, the page mutes, then hangs up over HTTP.

import { Meters, drawLevels } from './lib/audio.js';
import { EventLog, sleep, until } from './lib/log.js';

const status = (text) => {
  document.querySelector('#status').textContent = text;
};

window.runScenario = async (params) => {
  const api = params.api;
  const auth = { Authorization: `Bearer ${params.key ?? 'sk-browser'}` };
  const log = new EventLog(document.querySelector('#events'));
  const meters = await Meters.create();

  const pc = new RTCPeerConnection();
  const channel = pc.createDataChannel('oai-events');
  channel.addEventListener('message', (m) => log.add(JSON.parse(m.data), m.data.length));
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  let remote = null;
  pc.addEventListener('track', (e) => {
    remote = meters.watch('remote', e.streams[0] ?? new MediaStream([e.track]), { play: true });
  });

  status('creating');
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const response = await fetch(`${api}/v1/live/sessions`, {
    method: 'POST',
    body: JSON.stringify({ session: { model: 'gpt-live-1' }, transport: { type: 'webrtc', sdp: offer.sdp } }),
    headers: { 'Content-Type': 'application/json', ...auth },
  });
  const created = await response.json();
  if (response.status !== 200) throw new Error(`creation refused: ${response.status} ${JSON.stringify(created)}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: created.transport.sdp });

  status('waiting for session.started');
  await log.waitFor('session.started', 15_000);
  const mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  await transceiver.sender.replaceTrack(mic.getAudioTracks()[0]);
  const micMeter = meters.watch('mic', mic);

  status('talking');
  await log.waitFor('session.output_transcript.delta', 30_000);
  await sleep(3000); // the reply plays out on the track
  channel.send(JSON.stringify({ type: 'session.input_audio.mute' }));
  await log.waitFor('session.input_audio.muted', 10_000);

  status('hanging up');
  const hangup = await fetch(`${api}/v1/live/sessions/${created.session.id}/hangup`, { method: 'POST', headers: auth });
  await log.waitFor('session.closed', 10_000);
  await until(() => channel.readyState === 'closed', 10_000, 'the data channel did not close');
  mic.getTracks().forEach((t) => t.stop());
  pc.close();
  drawLevels(document.querySelector('#levels'), [micMeter, remote].filter(Boolean));
  status(`done: ${log.types().length} events`);
  const text = (type) => log.events.filter((e) => e.type === type).map((e) => e.event.delta).join('');
  return {
    session_id: created.session.id,
    types: log.types(),
    heard: text('session.input_transcript.delta'),
    said: text('session.output_transcript.delta'),
    mic: micMeter.summary(),
    remote: remote?.summary() ?? null,
    hangup_status: hangup.status,
    channel_state: channel.readyState,
  };
};
