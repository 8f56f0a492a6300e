// The Agents SDK as a browser app uses it: a RealtimeSession on its WebRTC transport
// with `baseUrl` pointing at our server, connected with an `ek_` key the page mints
// from /v1/realtime/client_secrets (the SDK refuses other keys in a browser). The
// package's own ES module bundle is imported as shipped, with no build step.

import {
  OpenAIRealtimeWebRTC,
  RealtimeAgent,
  RealtimeSession,
} from '/node_modules/@openai/agents-realtime/dist/bundle/openai-realtime-agents.mjs';

import { Meters, drawLevels, turnTiming } from './lib/audio.js';
import { EventLog, rtcSummary, sleep } from './lib/log.js';

const status = (text) => {
  document.querySelector('#status').textContent = text;
};

window.runScenario = async (params) => {
  const api = params.api;
  const log = new EventLog(document.querySelector('#events'));
  const meters = await Meters.create();
  const started = performance.now();
  const errors = [];

  status('minting a client secret');
  const minted = await fetch(`${api}/v1/realtime/client_secrets`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${params.key ?? 'sk-browser'}` },
    body: JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } }),
  });
  const secret = await minted.json();
  if (!minted.ok) throw new Error(`client secret refused: ${JSON.stringify(secret)}`);

  let mic = null;
  let remote = null;
  let peer = null;
  const transport = new OpenAIRealtimeWebRTC({
    baseUrl: `${api}/v1/realtime/calls`,
    audioElement: document.body.appendChild(document.createElement('audio')),
    // called with the microphone already on the connection, before the offer
    changePeerConnection: async (pc) => {
      peer = pc;
      mic = meters.watch('mic', new MediaStream([pc.getSenders()[0].track]));
      pc.addEventListener('track', (e) => {
        remote = meters.watch('remote', e.streams[0] ?? new MediaStream([e.track]));
      });
      return pc;
    },
  });
  transport.on('*', (event) => log.add(event));
  const agent = new RealtimeAgent({ name: 'Echo', instructions: 'Say back what you hear.' });
  const session = new RealtimeSession(agent, { transport, model: 'gpt-realtime' });
  session.on('error', (e) => errors.push(JSON.stringify(e.error ?? e)));

  status('connecting');
  await session.connect({ apiKey: secret.value });
  const connected = performance.now();
  const callId = transport.callId;

  status('talking');
  await log.waitFor('output_audio_buffer.stopped', params.turn_timeout_ms ?? 30_000);
  await sleep(400); // the browser's jitter buffer still holds the end of the reply
  const rtc = await rtcSummary(peer);
  session.close();
  drawLevels(document.querySelector('#levels'), [mic, remote].filter(Boolean));
  status(`done: ${log.types().length} events`);

  return {
    key_prefix: String(secret.value).slice(0, 3),
    call_id: callId ?? null,
    connect_ms: connected - started,
    scenario_start_ms: started,
    events: log.summary(),
    errors,
    history: session.history.map((item) => ({ type: item.type, role: item.role ?? null })),
    mic: mic?.summary() ?? null,
    remote: remote?.summary() ?? null,
    turn: mic && remote ? turnTiming(mic, remote) : null,
    rtc,
  };
};
