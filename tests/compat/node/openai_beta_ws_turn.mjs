// The Node `openai` SDK's beta entry point (`openai/beta/realtime/ws`, which sends
// `OpenAI-Beta: realtime=v1`), unmodified: a text turn over wss:// in the beta dialect.
// Usage: node openai_beta_ws_turn.mjs https://127.0.0.1:PORT/v1   (NODE_EXTRA_CA_CERTS=cert.pem)
// No `error` listener on purpose: a server `error` event then crashes this process.
// Prints one JSON line: the event types seen, the reply text and the sessions.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/beta/realtime/ws';

const baseURL = process.argv[2];
const types = [];
const timer = setTimeout(() => {
  console.error('timed out; seen:', types.join(' '));
  process.exit(2);
}, 20000);

const client = new OpenAI({ apiKey: 'sk-test', baseURL });
const rt = new OpenAIRealtimeWS({ model: 'gpt-4o-realtime-preview' }, client);
let text = '';
let created = null;
let updated = null;
let item = null;

rt.on('event', (event) => types.push(event.type));
rt.on('session.created', (event) => {
  created = event.session;
});
rt.on('session.updated', (event) => {
  updated = event.session;
});
rt.on('response.text.delta', (event) => {
  text += event.delta;
});
rt.on('response.done', (event) => {
  item = event.response.output[0];
  console.log(
    JSON.stringify({ url: rt.url.href, types, text, status: event.response.status, created, updated, item }),
  );
  clearTimeout(timer);
  rt.close();
});
rt.socket.on('open', () => {
  rt.send({ type: 'session.update', session: { modalities: ['text'], temperature: 0.6 } });
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello from node beta' }] },
  });
  rt.send({ type: 'response.create' });
});
