// glm4 serve under load and faults, then stopped with SIGTERM mid-stream.
//
//   node load_test.mjs GLM4_BINARY MODEL_DIR SECONDS [CLIENTS]
//
// Starts `glm4 serve` on a free loopback port (4 slots, a queue of 8, -c 512),
// warms every slot's KV cache to the full context, then for SECONDS runs
// CLIENTS concurrent clients (default 16), each sending one request after
// another drawn from a fixed mix: chat and completion requests through the
// official openai client, streamed and not; streams read raw to see their
// `data: [DONE]`; streams cancelled mid-way (AbortController, or the socket
// destroyed); requests abandoned before their first byte; and malformed
// requests written as raw bytes on a socket. Checks:
//   - every well-formed request is answered correctly (a 503 server_busy is
//     counted and retried), every malformed one gets its 4xx and an error
//     body naming the problem, nothing waits past REQUEST_TIMEOUT_MS;
//   - afterwards /health shows every slot idle and nothing waiting;
//   - the server's VmRSS, sampled every second, grows less than
//     RSS_GROWTH_LIMIT_KIB from after the warm-up to its peak (reported, not
//     checked, with LOAD_RSS_UNCHECKED=reason: a sanitizer build, whose
//     allocator keeps freed memory in quarantine; LeakSanitizer then checks
//     for leaks when the server exits);
//   - SIGTERM with streams in flight: they end with [DONE] and every token,
//     new connections are refused, the server exits 0 within EXIT_LIMIT_MS.
// Prints a summary block for docs/reliability.md; exits 1 on any failure.
// LOAD_SEED=N replays a run's mix of requests (the seed is printed).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import OpenAI from 'openai';

const [glm4, modelDir, secondsArg, clientsArg] = process.argv.slice(2);
if (!glm4 || !modelDir || !secondsArg) {
  console.error('usage: node load_test.mjs GLM4_BINARY MODEL_DIR SECONDS [CLIENTS]');
  process.exit(2);
}
const seconds = Number(secondsArg);
const clients = Number(clientsArg ?? 16);
const slots = 4;
const queue = 8;
const context = 512;
const REQUEST_TIMEOUT_MS = 60_000;
// A 5-minute run (some 25,000 requests) crosses it with a leak of 700 bytes a
// request; the allocator's arenas settle about 3 MiB above the start.
const RSS_GROWTH_LIMIT_KIB = 16 * 1024;
const rssUnchecked = process.env.LOAD_RSS_UNCHECKED;
// Idle keep-alive connections hold a worker up to httplib's 5 s timeout.
const EXIT_LIMIT_MS = 15_000;

const seed = Number(process.env.LOAD_SEED ?? Date.now() % 1_000_000);
// mulberry32: a seeded generator, so that LOAD_SEED replays the same mix.
let randomState = seed;
function random() {
  randomState = (randomState + 0x6d2b79f5) | 0;
  let t = Math.imul(randomState ^ (randomState >>> 15), 1 | randomState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (low, high) => low + Math.floor(random() * (high - low + 1));
const pick = (items) => items[Math.floor(random() * items.length)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Each distinct failure once, with how often it happened.
const failures = new Map();
function fail(what) {
  if (!failures.has(what)) console.error(`FAIL: ${what}`);
  failures.set(what, (failures.get(what) ?? 0) + 1);
}
function check(ok, what) {
  if (!ok) fail(what);
  return ok;
}

// --- the server -------------------------------------------------------------

function startServer() {
  const args = ['serve', modelDir, '--host', '127.0.0.1', '--port', '0', '-t', '1', '-c', String(context),
    '--parallel', String(slots), '--queue', String(queue), '--alias', 'glm4-small'];
  const child = spawn(glm4, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // However this script ends, the server does not outlive it.
  process.on('exit', () => child.kill('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  let log = '';
  const port = new Promise((resolve, reject) => {
    child.stderr.on('data', (data) => {
      log += data;
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(log);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code }) => reject(new Error(`glm4 serve exited (${code}) before listening:\n${log}`)));
    setTimeout(() => reject(new Error(`glm4 serve not listening after 30 s:\n${log}`)), 30_000);
  });
  return { child, exited, port, log: () => log };
}

function residentKiB(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

// --- raw HTTP: requests as bytes, for what no client library would send -----

// Writes `bytes` on a new connection and reads the response: its status, JSON
// body, the `data:` events of a stream and when each arrived.
// `onEvent(data, socket)` sees each event as it comes (it may destroy the
// socket). Resolves { status, body, events, eventMs, totalMs, closed,
// timedOut, error } where `closed` says the connection ended without a
// complete response and `error` is a connection error's code.
function exchange(port, bytes, { onEvent, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    let head = null;
    let events = [];
    const eventMs = [];
    let settled = false;
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      let body = null;
      if (head && !head.chunked) {
        try { body = JSON.parse(raw.subarray(head.end).toString('utf8')); } catch { body = raw.subarray(head.end).toString('utf8'); }
      }
      resolve({ status: head?.status ?? null, body, events, eventMs, totalMs: performance.now() - started, ...extra });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    socket.on('error', (e) => finish({ closed: true, error: e.code ?? String(e) }));
    socket.on('close', () => finish({ closed: !complete() }));
    socket.on('data', (data) => {
      raw = Buffer.concat([raw, data]);
      if (!head) {
        const end = raw.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = raw.subarray(0, end).toString('latin1');
        head = {
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
          length: Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? -1),
          chunked: /\r\ntransfer-encoding: *chunked/i.test(text),
          end: end + 4,
        };
      }
      if (head.chunked) {
        events = sseEvents(dechunk(raw.subarray(head.end)));
        while (eventMs.length < events.length) {
          eventMs.push(performance.now() - started);
          onEvent?.(events[eventMs.length - 1], socket);
        }
      }
      if (complete()) finish({ closed: false });
    });
    function complete() {
      if (!head) return false;
      if (head.chunked) return raw.subarray(raw.length - 5).toString('latin1') === '0\r\n\r\n';
      return head.length >= 0 && raw.length - head.end >= head.length;
    }
    socket.write(bytes);
  });
}

// The payload of a chunked transfer encoding, as far as it has arrived.
function dechunk(buffer) {
  const parts = [];
  for (let at = 0; ;) {
    const eol = buffer.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(buffer.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0) || eol + 2 + size > buffer.length) break;
    parts.push(buffer.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}

// The `data:` payloads of complete server-sent events.
const sseEvents = (text) => text.split('\n\n').slice(0, -1).map((e) => e.replace(/^data: /, ''));

function httpRequest(method, path, body, { headers = [], contentLength } = {}) {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers];
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${contentLength ?? payload.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
}
const postJson = (path, value) => httpRequest('POST', path, JSON.stringify(value));

// --- the mix of requests ----------------------------------------------------

const topics = ['the sea', 'a lighthouse', 'prime numbers', 'bread', 'winter', 'a robot', 'the moon', 'tea'];
const chatMessages = () => [
  ...(random() < 0.3 ? [{ role: 'system', content: 'Answer briefly.' }] : []),
  { role: 'user', content: `Tell me about ${pick(topics)}.` },
];
const completionPrompt = () => `A short note on ${pick(topics)}:`;

// Well-formed requests ask for a fixed number of tokens past end-of-turn
// (ignore_eos), so each answer's length is known.
const generation = () => ({ max_tokens: between(1, 48), ignore_eos: true, temperature: pick([0, 0.7, 1]), seed: between(0, 1000) });

// Each case: the bytes, the status, and what the error body must say.
const malformed = [
  { name: 'invalid JSON', bytes: () => httpRequest('POST', '/v1/chat/completions', '{"messages": ['), status: 400, code: 'invalid_json', message: /not valid JSON/ },
  { name: 'empty body', bytes: () => httpRequest('POST', '/v1/chat/completions', ''), status: 400, code: 'invalid_json', message: /not valid JSON/ },
  { name: 'invalid UTF-8 in a string', bytes: () => httpRequest('POST', '/v1/completions', Buffer.concat([Buffer.from('{"prompt":"caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","max_tokens":2}')])), status: 400, code: 'invalid_json', message: /UTF-8/ },
  { name: 'lone surrogate escape', bytes: () => httpRequest('POST', '/v1/completions', '{"prompt":"\\ud800","max_tokens":2}'), status: 400, code: 'invalid_json', message: /surrogate/ },
  { name: 'body not an object', bytes: () => postJson('/v1/chat/completions', [1, 2]), status: 400, param: 'body' },
  { name: 'messages a string', bytes: () => postJson('/v1/chat/completions', { messages: 'hi' }), status: 400, param: 'messages' },
  { name: 'unknown role', bytes: () => postJson('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'hi' }] }), status: 400, param: 'messages[0].role' },
  { name: 'temperature a string', bytes: () => postJson('/v1/chat/completions', { messages: chatMessages(), temperature: 'hot' }), status: 400, param: 'temperature' },
  { name: 'temperature out of range', bytes: () => postJson('/v1/completions', { prompt: 'x', temperature: 7 }), status: 400, param: 'temperature' },
  { name: 'stream a string', bytes: () => postJson('/v1/chat/completions', { messages: chatMessages(), stream: 'yes' }), status: 400, param: 'stream' },
  { name: 'max_tokens a string', bytes: () => postJson('/v1/chat/completions', { messages: chatMessages(), max_tokens: 'many' }), status: 400, param: 'max_tokens' },
  { name: 'max_tokens 1e300', bytes: () => httpRequest('POST', '/v1/completions', '{"prompt":"x","max_tokens":1e300}'), status: 400, param: 'max_tokens' },
  { name: 'max_tokens negative', bytes: () => postJson('/v1/completions', { prompt: 'x', max_tokens: -5 }), status: 400, param: 'max_tokens' },
  { name: 'prompt a number', bytes: () => postJson('/v1/completions', { prompt: 42 }), status: 400, param: 'prompt' },
  { name: 'n = 2', bytes: () => postJson('/v1/chat/completions', { messages: chatMessages(), n: 2 }), status: 400, param: 'n' },
  { name: 'prompt past the context', bytes: () => postJson('/v1/completions', { prompt: 'word '.repeat(4 * context) }), status: 400, code: 'context_length_exceeded', message: /context/ },
  { name: 'chat past the context', bytes: () => postJson('/v1/chat/completions', { messages: [{ role: 'user', content: 'word '.repeat(4 * context) }], stream: true }), status: 400, code: 'context_length_exceeded', message: /context/ },
  { name: 'body shorter than Content-Length', bytes: () => httpRequest('POST', '/v1/completions', '{"prompt":"hi"', { contentLength: 100 }), status: 400, message: /Content-Length/ },
  { name: 'no such route', bytes: () => httpRequest('GET', '/v1/nowhere'), status: 404, message: /no route GET \/v1\/nowhere/ },
  { name: 'GET on a POST route', bytes: () => httpRequest('GET', '/v1/chat/completions'), status: 404, message: /no route GET \/v1\/chat\/completions/ },
  { name: 'DELETE', bytes: () => httpRequest('DELETE', '/v1/models'), status: 404, message: /no route DELETE/ },
  { name: 'unknown method', bytes: () => httpRequest('BREW', '/health'), status: 400, message: /malformed HTTP request/ },
  { name: 'garbage request line', bytes: () => Buffer.from('this is not HTTP\r\n\r\n'), status: 400, message: /malformed HTTP request/ },
  { name: 'header over 8 KiB', bytes: () => httpRequest('GET', '/health', undefined, { headers: [`X-Padding: ${'a'.repeat(20_000)}`] }), status: 400, message: /header/ },
  { name: 'URI over 8 KiB', bytes: () => httpRequest('GET', '/' + 'a'.repeat(10_000)), status: 414, message: /request line/ },
];

const latencies = { total: [], firstToken: [] };
const outcomes = new Map();
const count = (what) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
let generatedTokens = 0;

function openaiClient(port) {
  return new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', timeout: REQUEST_TIMEOUT_MS, maxRetries: 0 });
}

// Runs `attempt` again while the server answers 503 server_busy; each busy
// answer is counted. Returns attempt's result.
async function retryWhileBusy(attempt, deadline) {
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      const busy = e?.status === 503 && e?.code === 'server_busy';
      if (!busy || performance.now() > deadline) throw e;
      count('503 server_busy, retried');
      await sleep(between(20, 200));
    }
  }
}

// A raw exchange answered 503 fails as the openai client's would, for
// retryWhileBusy.
function throwIfBusy(r) {
  if (r.status === 503) throw Object.assign(new Error('busy'), { status: 503, code: r.body?.error?.code });
}

// The chat or completion text of a streamed chunk.
const chunkText = (chunk) => chunk.choices?.[0]?.delta?.content ?? chunk.choices?.[0]?.text ?? '';

function checkUsage(kind, usage, maxTokens) {
  check(usage && usage.completion_tokens === maxTokens,
    `${kind}: ${maxTokens} tokens asked with ignore_eos, usage says ${JSON.stringify(usage)}`);
  generatedTokens += usage?.completion_tokens ?? 0;
}

const scenarios = {
  // The openai client, not streamed.
  async 'chat'(client) {
    const g = generation();
    const started = performance.now();
    const r = await client.chat.completions.create({ model: 'glm4-small', messages: chatMessages(), ...g });
    latencies.total.push(performance.now() - started);
    check(r.object === 'chat.completion' && r.choices[0].message.role === 'assistant' && typeof r.choices[0].message.content === 'string',
      `chat: malformed answer ${JSON.stringify(r)}`);
    check(r.choices[0].finish_reason === 'length', `chat: finish_reason ${r.choices[0].finish_reason}, expected length`);
    checkUsage('chat', r.usage, g.max_tokens);
  },
  async 'completion'(client) {
    const g = generation();
    const started = performance.now();
    const r = await client.completions.create({ model: 'glm4-small', prompt: completionPrompt(), ...g });
    latencies.total.push(performance.now() - started);
    check(r.object === 'text_completion' && typeof r.choices[0].text === 'string', `completion: malformed answer ${JSON.stringify(r)}`);
    checkUsage('completion', r.usage, g.max_tokens);
  },
  // The openai client, streamed with the usage chunk.
  async 'chat, streamed'(client) { await streamWithClient(client, true); },
  async 'completion, streamed'(client) { await streamWithClient(client, false); },
  // A stream read raw: it must end with data: [DONE].
  async 'chat, streamed raw'(_, port) {
    const g = generation();
    const r = await exchange(port, postJson('/v1/chat/completions',
      { messages: chatMessages(), stream: true, stream_options: { include_usage: true }, ...g }));
    throwIfBusy(r);
    checkRawStream('chat, streamed raw', r, g.max_tokens);
  },
  // max_tokens far past the context: capped at the room the prompt leaves.
  async 'huge max_tokens, capped'(client) {
    const r = await client.completions.create({ prompt: completionPrompt(), max_tokens: Number.MAX_SAFE_INTEGER, ignore_eos: true, temperature: 0 });
    check(r.choices[0].finish_reason === 'length' && r.usage.prompt_tokens + r.usage.completion_tokens === context,
      `max_tokens ${Number.MAX_SAFE_INTEGER}: expected the reply to fill the ${context}-token context, usage ${JSON.stringify(r.usage)}`);
    generatedTokens += r.usage.completion_tokens;
  },
  // Cancelled part-way: the openai client's AbortController.
  async 'stream aborted by the client'(client) {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { messages: chatMessages(), stream: true, max_tokens: 200, ignore_eos: true }, { signal: controller.signal });
    const after = between(1, 8);
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === after) controller.abort();
    } catch (e) {
      if (e?.name !== 'APIUserAbortError') throw e;
    }
    check(chunks >= after && chunks < 200, `abort after ${after} chunks: ${chunks} read`);
  },
  // Cancelled part-way by dropping the connection.
  async 'stream, socket destroyed'(_, port) {
    const after = between(1, 8);
    let seen = 0;
    const r = await exchange(port, postJson('/v1/completions', { prompt: completionPrompt(), stream: true, max_tokens: 200, ignore_eos: true }),
      { onEvent: (_, socket) => { if (++seen === after) socket.destroy(); } });
    throwIfBusy(r);
    check(!r.timedOut && seen >= after, `socket destroyed after ${after} events: ${seen} seen${r.timedOut ? ', timed out' : ''}`);
  },
  // Sent (whole, or cut short), then gone before any byte of the answer:
  // waiting for a slot, generating, or still being read.
  async 'abandoned before the first byte'(_, port) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const request = postJson('/v1/chat/completions', { messages: chatMessages(), stream: random() < 0.5, max_tokens: 64, ignore_eos: true });
    socket.write(random() < 0.25 ? request.subarray(0, between(1, request.length - 1)) : request);
    await sleep(between(0, 30));
    socket.destroy();
  },
  async 'malformed'(_, port) {
    const m = pick(malformed);
    const r = await exchange(port, m.bytes());
    const error = r.body?.error;
    const named = `${m.name}: HTTP ${r.status} ${JSON.stringify(r.body)}`;
    if (!check(!r.timedOut, `${m.name}: no answer in ${REQUEST_TIMEOUT_MS} ms`)) return;
    check(r.status === m.status, `${named}, expected ${m.status}`);
    check(typeof error?.message === 'string' && typeof error?.type === 'string', `${named}: not an OpenAI error body`);
    if (m.param) check(error?.param === m.param, `${named}: param should be ${m.param}`);
    if (m.code) check(error?.code === m.code, `${named}: code should be ${m.code}`);
    if (m.message) check(m.message.test(error?.message ?? ''), `${named}: message should match ${m.message}`);
    count(`malformed: ${m.name}`);
  },
};

async function streamWithClient(client, chat) {
  const g = generation();
  const kind = chat ? 'chat, streamed' : 'completion, streamed';
  const started = performance.now();
  const request = chat ? { messages: chatMessages() } : { prompt: completionPrompt() };
  const create = chat ? client.chat.completions : client.completions;
  const stream = await create.create({ ...request, ...g, stream: true, stream_options: { include_usage: true } });
  let first = null;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (first === null && chunkText(chunk) !== '') first = performance.now() - started;
    finish = chunk.choices?.[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  const total = performance.now() - started;
  latencies.total.push(total);
  latencies.firstToken.push(first ?? total);
  check(finish === 'length', `${kind}: finish_reason ${finish}, expected length`);
  checkUsage(kind, usage, g.max_tokens);
}

function checkRawStream(kind, r, maxTokens) {
  check(r.status === 200 && !r.timedOut && !r.closed, `${kind}: HTTP ${r.status}${r.timedOut ? ', timed out' : ''}${r.closed ? ', connection closed early' : ''}`);
  check(r.events.at(-1) === '[DONE]', `${kind}: the stream ends with ${JSON.stringify(r.events.at(-1))}, not [DONE]`);
  const chunks = r.events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
  check(chunks.every((c) => !c.error), `${kind}: an error event ${JSON.stringify(chunks.find((c) => c.error))}`);
  checkUsage(kind, chunks.at(-1)?.usage, maxTokens);
  if (r.status === 200) {
    const first = chunks.findIndex((c) => chunkText(c) !== '');
    latencies.total.push(r.totalMs);
    latencies.firstToken.push(first >= 0 ? r.eventMs[first] : r.totalMs);
  }
}

// The mix: how often each scenario is drawn.
const weights = {
  'chat': 14, 'completion': 10, 'chat, streamed': 14, 'completion, streamed': 10, 'chat, streamed raw': 8,
  'huge max_tokens, capped': 1, 'stream aborted by the client': 8, 'stream, socket destroyed': 8,
  'abandoned before the first byte': 8, 'malformed': 19,
};
const drawScenario = (() => {
  const table = Object.entries(weights).flatMap(([name, w]) => Array(w).fill(name));
  return () => pick(table);
})();

async function runClient(port, deadline) {
  const client = openaiClient(port);
  while (performance.now() < deadline) {
    const name = drawScenario();
    const timeout = new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS + 5_000).unref());
    try {
      await Promise.race([retryWhileBusy(() => scenarios[name](client, port), deadline + REQUEST_TIMEOUT_MS), timeout]);
      if (name !== 'malformed') count(name);
    } catch (e) {
      fail(`${name}: ${e?.status ? `HTTP ${e.status} ` : ''}${e?.message ?? e}`);
    }
  }
}

async function health(port) {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) });
  return res.json();
}

// Until every slot is idle and nothing waits (a cancelled generation stops at
// its next token), or `ms` pass.
async function settledHealth(port, ms) {
  let h = await health(port);
  for (const until = performance.now() + ms; (h.slots_processing > 0 || h.requests_waiting > 0) && performance.now() < until;) {
    await sleep(100);
    h = await health(port);
  }
  return h;
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const ms = (x) => `${x.toFixed(0)} ms`;
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

// --- SIGTERM with streams in flight -----------------------------------------

async function stopUnderLoad(server, port) {
  const streams = slots + 2;  // every slot busy and two waiting for one
  const maxTokens = 120;
  let started = 0;
  let signalled;
  const signalSent = new Promise((resolve) => { signalled = resolve; });
  const onEvent = () => {
    if (++started === slots) {
      server.child.kill('SIGTERM');
      signalled(Date.now());
    }
  };
  const inFlight = Array.from({ length: streams }, () => {
    let first = true;
    return exchange(port, postJson('/v1/completions', { prompt: completionPrompt(), stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens, ignore_eos: true, temperature: 0 }),
      { onEvent: () => { if (first) { first = false; onEvent(); } } });
  });
  const sentAt = await Promise.race([signalSent, sleep(30_000).then(() => null)]);
  if (!check(sentAt !== null, `SIGTERM: ${slots} streams did not start within 30 s`)) return {};

  // The signal is noticed within 200 ms; after that, no new connection.
  let refused = false;
  for (let i = 0; i < 50 && !refused; ++i) {
    await sleep(100);
    const r = await exchange(port, httpRequest('GET', '/health'), { timeoutMs: 2_000 });
    refused = r.error === 'ECONNREFUSED';
  }
  check(refused, 'SIGTERM: the server still accepts connections 5 s after the signal');

  const answers = await Promise.all(inFlight);
  let done = 0;
  for (const r of answers) {
    checkRawStream('SIGTERM, stream in flight', r, maxTokens);
    if (r.events.at(-1) === '[DONE]') ++done;
  }
  const exit = await Promise.race([server.exited, sleep(EXIT_LIMIT_MS).then(() => null)]);
  check(exit !== null, `SIGTERM: still running ${EXIT_LIMIT_MS} ms after the signal`);
  if (exit) check(exit.code === 0, `SIGTERM: exit ${exit.code}${exit.signal ? ` (${exit.signal})` : ''}, expected 0`);
  return { streams, done, refused, exitCode: exit?.code, exitMs: exit ? exit.at - sentAt : null };
}

// --- main -------------------------------------------------------------------

const server = startServer();
let crashed = null;
server.exited.then((e) => { crashed = e; });
const port = await server.port;
const pid = server.child.pid;
console.log(`glm4 serve (pid ${pid}) on 127.0.0.1:${port}: ${slots} slots, queue ${queue}, -c ${context}; ` +
  `${clients} clients for ${seconds} s, LOAD_SEED=${seed}`);

// Warm-up: every slot's KV cache filled once, so its pages count from the start.
const client = openaiClient(port);
await Promise.all(Array.from({ length: slots }, () =>
  client.completions.create({ prompt: 'warm', max_tokens: context, ignore_eos: true, temperature: 0 })));
const rss = [residentKiB(pid)];
const sampler = setInterval(() => { if (!crashed) rss.push(residentKiB(pid)); }, 1000);

const loadStarted = performance.now();
const deadline = loadStarted + seconds * 1000;
await Promise.all(Array.from({ length: clients }, () => runClient(port, deadline)));
const loadSeconds = (performance.now() - loadStarted) / 1000;
check(!crashed, `the server died under load: ${JSON.stringify(crashed)}\n${server.log().slice(-2000)}`);

let idle = null;
if (!crashed) {
  idle = await settledHealth(port, 10_000);
  check(idle.slots_idle === slots && idle.slots_processing === 0 && idle.requests_waiting === 0,
    `after the load /health says ${JSON.stringify(idle)}: a slot leaked or a request is stuck`);
}
clearInterval(sampler);
const rssStart = rss[0];
const rssPeak = Math.max(...rss);
const rssEnd = rss.at(-1);
check(rssUnchecked || rssPeak - rssStart <= RSS_GROWTH_LIMIT_KIB,
  `VmRSS grew from ${mib(rssStart)} to a peak of ${mib(rssPeak)}, more than ${mib(RSS_GROWTH_LIMIT_KIB)}`);

const stop = crashed ? {} : await stopUnderLoad(server, port);

const requests = [...outcomes.entries()].filter(([k]) => !k.startsWith('503')).reduce((n, [, v]) => n + v, 0);
const malformedCount = [...outcomes.entries()].filter(([k]) => k.startsWith('malformed')).reduce((n, [, v]) => n + v, 0);
const lines = [
  `glm4 serve load test: ${clients} clients, ${seconds} s, ${slots} slots (-t 1 each), queue ${queue}, -c ${context}, LOAD_SEED=${seed}`,
  `requests completed   ${requests} in ${loadSeconds.toFixed(1)} s: ${(requests / loadSeconds).toFixed(1)} requests/s, ` +
    `${generatedTokens} tokens generated (${(generatedTokens / loadSeconds).toFixed(0)} tokens/s)`,
  ...Object.keys(weights).filter((k) => k !== 'malformed').map((k) => `  ${k.padEnd(34)} ${outcomes.get(k) ?? 0}`),
  `  ${'malformed, right 4xx and message'.padEnd(34)} ${malformedCount} (${malformed.length} kinds)`,
  `  ${'503 server_busy, retried'.padEnd(34)} ${outcomes.get('503 server_busy, retried') ?? 0}`,
  `latency, total       p50 ${ms(percentile(latencies.total, 50))}  p90 ${ms(percentile(latencies.total, 90))}  ` +
    `p99 ${ms(percentile(latencies.total, 99))}  (${latencies.total.length} answered requests)`,
  `latency, first token p50 ${ms(percentile(latencies.firstToken, 50))}  p90 ${ms(percentile(latencies.firstToken, 90))}  ` +
    `p99 ${ms(percentile(latencies.firstToken, 99))}  (${latencies.firstToken.length} streams)`,
  `VmRSS                after warm-up ${mib(rssStart)}, peak ${mib(rssPeak)}, end ${mib(rssEnd)} ` +
    `(growth ${mib(rssPeak - rssStart)}, ` +
    `${rssUnchecked ? `not checked: ${rssUnchecked}` : `limit ${mib(RSS_GROWTH_LIMIT_KIB)}`}; ${rss.length} samples)`,
  `after the load       /health ${JSON.stringify(idle)}`,
  `SIGTERM              ${stop.done ?? 0}/${stop.streams ?? 0} streams in flight ended with [DONE], ` +
    `new connections ${stop.refused ? 'refused' : 'NOT refused'}, exit ${stop.exitCode} after ${stop.exitMs} ms`,
  `failures             ${[...failures.values()].reduce((n, v) => n + v, 0)}`,
  ...[...failures].map(([what, n]) => `  ${n} x ${what}`),
];
console.log(['', ...lines, ''].join('\n'));
process.exit(failures.size === 0 ? 0 : 1);
