// The Node `openai` SDK, unmodified: a text turn over wss:// (it always dials wss).
// Usage: node openai_ws_turn.mjs https://127.0.0.1:PORT/v1 [--ephemeral]
//   (NODE_EXTRA_CA_CERTS=cert.pem; REALTIME_API_KEY, default sk-test)
// --ephemeral: mint an ek_ key with `client.realtime.clientSecrets.create` (session: text
// output) and connect with that key alone, sending no session.update.
// No `error` listener on purpose: a server `error` event then crashes this process,
// so a spurious error fails the test. Prints one JSON line: what was seen.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const baseURL = process.argv[2];
const ephemeral = process.argv.includes('--ephemeral');
const apiKey = process.env.REALTIME_API_KEY ?? 'sk-test';
const timer = setTimeout(() => {
  console.error('timed out; seen:', types.join(' '));
  process.exit(2);
}, 20000);

let key = apiKey;
let secret = null;
if (ephemeral) {
  const server = new OpenAI({ apiKey, baseURL });
  secret = await server.realtime.clientSecrets.create({
    session: { type: 'realtime', output_modalities: ['text'], instructions: 'Say it back.' },
  });
  key = secret.value;
}
const client = new OpenAI({ apiKey: key, baseURL });
const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client);
const types = [];
let text = '';
let session = null;

rt.on('event', (event) => types.push(event.type));
rt.on('session.created', (event) => {
  session = event.session;
});
rt.on('response.output_text.delta', (event) => {
  text += event.delta;
});
rt.on('response.done', (event) => {
  const minted = secret && { prefix: secret.value.slice(0, 3), expires_at: secret.expires_at };
  console.log(
    JSON.stringify({ url: rt.url.href, types, text, status: event.response.status, session, minted }),
  );
  clearTimeout(timer);
  rt.close();
});
rt.socket.on('open', () => {
  if (!ephemeral) {
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  }
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello from node' }] },
  });
  rt.send({ type: 'response.create' });
});
