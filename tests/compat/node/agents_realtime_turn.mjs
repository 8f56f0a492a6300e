// @openai/agents-realtime, unmodified: a RealtimeSession over its websocket transport,
// connected by `url`, completes a text turn that calls a tool and answers with its output.
// Usage: node agents_realtime_turn.mjs ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime
// Prints one JSON line: tool calls, errors, the assistant's last text.
import { RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';

const url = process.argv[2];
const calls = [];
const errors = [];
const lookup = tool({
  name: 'lookup',
  description: 'Look a number up.',
  parameters: {
    type: 'object',
    properties: { q: { type: 'number' } },
    required: ['q'],
    additionalProperties: false,
  },
  strict: true,
  execute: async ({ q }) => {
    calls.push(q);
    return `answer ${q * 2}`;
  },
});
const agent = new RealtimeAgent({ name: 'echo', instructions: 'Be an echo.', tools: [lookup] });
const session = new RealtimeSession(agent, {
  transport: 'websocket',
  model: 'gpt-realtime',
  config: { outputModalities: ['text'] },
});
session.on('error', (error) => errors.push(String(error?.error?.message ?? error?.error ?? error)));

const timer = setTimeout(() => finish(2), 20000);
function assistantTexts() {
  return session.history
    .filter((item) => item.type === 'message' && item.role === 'assistant')
    .map((item) => item.content.map((part) => part.text ?? part.transcript ?? '').join(''));
}
function finish(code) {
  clearTimeout(timer);
  console.log(JSON.stringify({ calls, errors, texts: assistantTexts() }));
  session.close();
  process.exit(code);
}

let turns = 0;
session.transport.on('*', (event) => {
  if (event.type === 'response.done') {
    turns += 1;
    // first response: the function call (the SDK runs the tool and asks again); second: the answer
    if (turns === 2) setTimeout(() => finish(0), 100);
  }
});
await session.connect({ apiKey: 'sk-test', url });
session.sendMessage('call lookup {"q": 21}');
