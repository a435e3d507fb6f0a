// glm4 serve driven by the official OpenAI client, as a user's program would
// drive it. run_server_tests.sh starts the servers and passes:
//   BASE_URL       http://127.0.0.1:PORT/v1 of a server run with -np 2 --queue 2 -c 512
//   KEYED_BASE_URL the same model served with --api-key $API_KEY (optional)
//   DRAFTED_BASE_URL the same model served with --draft 6 (optional)
// Every request has a timeout; nothing here leaves the loopback interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.BASE_URL;
assert.ok(baseURL, 'BASE_URL must be set (run through run_server_tests.sh)');
const root = baseURL.replace(/\/v1\/?$/, '');
const client = new OpenAI({ baseURL, apiKey: 'unused', timeout: 60_000, maxRetries: 0 });
const user = (content) => [{ role: 'user', content }];

async function post(path, body, headers = {}) {
  const res = await fetch(root + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: await res.json() };
}

async function health() {
  const res = await fetch(root + '/health', { signal: AbortSignal.timeout(10_000) });
  return res.json();
}

function assertOpenAIError(r, status, param) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
  assert.equal(typeof r.body.error.type, 'string');
  if (param !== undefined) assert.equal(r.body.error.param, param, r.body.error.message);
}

test('models lists the served model', async () => {
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, 'model');
  assert.ok(models.data[0].id.length > 0);
});

test('chat: the stream carries the same text as the plain response', async () => {
  const request = { model: 'glm4-small', messages: user('Hello, who are you?'), temperature: 0, seed: 1, max_tokens: 24 };
  const plain = await client.chat.completions.create(request);
  assert.equal(plain.object, 'chat.completion');
  assert.equal(plain.choices[0].message.role, 'assistant');
  assert.ok(['stop', 'length'].includes(plain.choices[0].finish_reason));
  assert.ok(plain.usage.prompt_tokens > 0);
  assert.ok(plain.usage.completion_tokens <= 24);

  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.equal(text, plain.choices[0].message.content);
  assert.equal(finish, plain.choices[0].finish_reason);
  assert.equal(usage.completion_tokens, plain.usage.completion_tokens);
  // The same conversation again: its prompt comes from the slot's cache.
  assert.ok(usage.prompt_tokens_details.cached_tokens > 0, JSON.stringify(usage));
});

test('completions: streamed and not, the same text', async () => {
  const request = { model: 'glm4-small', prompt: 'Once upon a time', temperature: 0, max_tokens: 16 };
  const plain = await client.completions.create(request);
  assert.equal(plain.object, 'text_completion');
  let text = '';
  for await (const chunk of await client.completions.create({ ...request, stream: true }))
    text += chunk.choices[0]?.text ?? '';
  assert.equal(text, plain.choices[0].text);
});

test('a request with tools is accepted and answered', async () => {
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather of a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  }];
  // A random-weight model will not write a real call; the parsing of one is
  // in tests/server/reply_stream_test.cpp.
  const r = await client.chat.completions.create({ messages: user('Weather in Paris?'), tools, temperature: 0, max_tokens: 8 });
  assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason));
  const withTools = r.usage.prompt_tokens;
  const without = (await client.chat.completions.create({ messages: user('Weather in Paris?'), temperature: 0, max_tokens: 1 })).usage.prompt_tokens;
  assert.ok(withTools > without + 10, `the tool's definition is in the prompt (${withTools} vs ${without} tokens)`);
});

test('two slots and a queue of two: all answered while they fit, 503 past them', async () => {
  const long = { messages: user('Count to a thousand'), max_tokens: 200, ignore_eos: true, temperature: 0 };
  const fitting = await Promise.all([0, 1, 2, 3].map(() => client.chat.completions.create(long)));
  for (const r of fitting) assert.equal(r.usage.completion_tokens, 200);

  const burst = await Promise.all(Array.from({ length: 12 }, () => post('/v1/chat/completions', long)));
  const statuses = burst.map((r) => r.status);
  assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join(','));
  assert.ok(statuses.filter((s) => s === 200).length >= 4, statuses.join(','));
  assert.ok(statuses.includes(503), `12 requests at once on 2 slots + 2 queued: ${statuses.join(',')}`);
  const busy = burst.find((r) => r.status === 503);
  assert.equal(busy.body.error.code, 'server_busy');
});

test('requests decoded together get what each gets alone', async () => {
  // Short prompts, so that every shared pass stays below the 16 tokens
  // from which the prompt kernels' rounding would apply.
  const ask = (prompt) => client.completions.create({ prompt, max_tokens: 32, temperature: 0, ignore_eos: true });
  const prompts = ['Once upon a time', 'The quick brown fox'];
  const together = await Promise.all(prompts.map(ask));
  for (const [i, prompt] of prompts.entries()) {
    const alone = await ask(prompt);
    assert.equal(together[i].usage.completion_tokens, 32);
    assert.equal(together[i].choices[0].text, alone.choices[0].text, prompt);
  }
});

test('a client that disconnects mid-stream frees its slot', async () => {
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { messages: user('Tell me a long story'), max_tokens: 240, ignore_eos: true, stream: true },
    { signal: controller.signal });
  let chunks = 0;
  try {
    // The client ends the iteration on abort (or throws an AbortError).
    for await (const _ of stream) if (++chunks === 3) controller.abort();
  } catch (e) {
    assert.equal(e.name, 'APIUserAbortError', String(e));
  }
  assert.ok(chunks >= 3 && chunks < 240, `${chunks} chunks read before the abort took effect`);
  let state = await health();
  for (let i = 0; i < 100 && state.slots_processing > 0; ++i) {
    await new Promise((r) => setTimeout(r, 50));
    state = await health();
  }
  assert.equal(state.slots_processing, 0, JSON.stringify(state));
  const started = Date.now();
  const next = await client.chat.completions.create({ messages: user('Still there?'), max_tokens: 4 });
  assert.ok(next.choices.length === 1);
  assert.ok(Date.now() - started < 10_000);
});

test('errors are 4xx with an OpenAI error body, and the server keeps serving', async () => {
  assertOpenAIError(await post('/v1/chat/completions', '{"messages": [', {}), 400);
  assertOpenAIError(await post('/v1/chat/completions', { messages: 'hi' }), 400, 'messages');
  assertOpenAIError(await post('/v1/chat/completions', { messages: user('hi'), temperature: 'hot' }), 400, 'temperature');
  assertOpenAIError(await post('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'hi' }] }), 400, 'messages[0].role');
  assertOpenAIError(await post('/v1/chat/completions', { messages: user('word '.repeat(1000)) }), 400);
  assertOpenAIError(await post('/v1/completions', { prompt: 42 }), 400, 'prompt');
  const missing = await fetch(root + '/v1/nothing', { signal: AbortSignal.timeout(10_000) });
  assert.equal(missing.status, 404);
  assert.equal(typeof (await missing.json()).error.message, 'string');

  // The client library maps them to its own error types.
  await assert.rejects(client.chat.completions.create({ messages: user('word '.repeat(1000)) }),
    (e) => e instanceof OpenAI.BadRequestError && /context/.test(e.message));
  assert.equal((await health()).status, 'ok');
});

test('with --api-key, a wrong key is 401 and the right one works', { skip: !process.env.KEYED_BASE_URL }, async () => {
  const keyed = process.env.KEYED_BASE_URL;
  const wrong = new OpenAI({ baseURL: keyed, apiKey: 'wrong', timeout: 30_000, maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  const right = new OpenAI({ baseURL: keyed, apiKey: process.env.API_KEY, timeout: 30_000, maxRetries: 0 });
  assert.equal((await right.models.list()).data.length, 1);
});

test('with --draft, greedy replies are the same, streamed and not, turn after turn', { skip: !process.env.DRAFTED_BASE_URL }, async () => {
  const drafted = new OpenAI({ baseURL: process.env.DRAFTED_BASE_URL, apiKey: 'unused', timeout: 60_000, maxRetries: 0 });
  const echo = 'red green blue yellow, red green blue yellow, red green blue yellow, red green';
  const conversation = [{ role: 'user', content: echo }];
  for (let turn = 0; turn < 2; ++turn) {
    const request = { model: 'glm4-small', messages: conversation, temperature: 0, max_tokens: 32, ignore_eos: true };
    const plain = (await client.chat.completions.create(request)).choices[0].message.content;
    const response = await drafted.chat.completions.create(request);
    assert.equal(response.choices[0].message.content, plain, `turn ${turn}`);
    const details = response.usage.completion_tokens_details;
    assert.ok(details.accepted_prediction_tokens > 0, JSON.stringify(response.usage));
    assert.ok(details.accepted_prediction_tokens + details.rejected_prediction_tokens > 0);
    let streamed = '';
    for await (const chunk of await drafted.chat.completions.create({ ...request, stream: true }))
      streamed += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(streamed, plain, `turn ${turn}, streamed`);
    conversation.push({ role: 'assistant', content: plain }, { role: 'user', content: echo });
  }
  const completion = { model: 'glm4-small', prompt: echo, temperature: 0, max_tokens: 24 };
  assert.equal((await drafted.completions.create(completion)).choices[0].text,
    (await client.completions.create(completion)).choices[0].text);
});
