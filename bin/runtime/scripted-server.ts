import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/**
 * An OpenAI-compatible chat-completions server that answers from a script instead of a model.
 * It speaks real HTTP and streams real server-sent events, so molt's real client talks to it.
 */

const ToolCallReply = z.object({ name: z.string(), arguments: z.string() });

export const ScriptReply = z.union([
  // Raw text, exactly as the model would send it.
  z.string(),
  z.strictObject({
    /** Text shown before the action. */
    thought: z.string().optional(),
    /** The bash command, sent as a `bash` tool call or a ```bash block, as the request asks. */
    command: z.string().optional(),
    /** Raw text content, used as is. */
    content: z.string().optional(),
    /** Raw tool calls, used as is. */
    toolCalls: z.array(ToolCallReply).optional(),
    /** Answer with an HTTP error instead of a reply, in OpenAI's error shape (`code`, `param`, `type` as providers send them). */
    error: z
      .strictObject({
        status: z.number().int(),
        message: z.string().optional(),
        retryAfterSec: z.number().optional(),
        /** A string as OpenAI sends it, a number as llama.cpp and OpenRouter do. */
        code: z.union([z.string(), z.number()]).optional(),
        param: z.string().optional(),
        type: z.string().optional(),
      })
      .optional(),
    /** What a reasoning model thinks before its reply, streamed in `reasoning_content` (or `reasoning`, as OpenRouter sends it). */
    reasoning: z.string().optional(),
    reasoningField: z.enum(["reasoning_content", "reasoning"]).optional(),
    /** The usage to report, as the endpoint would: cached tokens as OpenAI (`cached`) or Anthropic (`cacheRead`, `cacheWrite`) report them. */
    usage: z
      .union([
        z.strictObject({ prompt: z.number().int(), completion: z.number().int(), cached: z.number().int().optional(), cacheRead: z.number().int().optional(), cacheWrite: z.number().int().optional() }),
        // No usage at all, as some local servers send.
        z.literal(false),
      ])
      .optional(),
    /** Stream part of the reply, then cut the connection. */
    cutStream: z.boolean().optional(),
    /** Wait this long before answering. */
    delayMs: z.number().nonnegative().max(600_000).optional(),
    /** Why the model stopped, when not the usual ("length": cut off at the token limit). */
    finishReason: z.string().optional(),
    /** Stream the text in pieces of this many characters, cutting words (and whatever is in them) apart, rather than word by word. */
    chunkChars: z.number().int().positive().optional(),
    /** Wait this long before each streamed piece of the text, so that a view shows the reply as it grows. */
    chunkDelayMs: z.number().nonnegative().max(60_000).optional(),
  }),
]);
export type ScriptReply = z.infer<typeof ScriptReply>;
export const Script = z.array(ScriptReply);

export async function loadScript(path: string): Promise<ScriptReply[]> {
  const text = await readFile(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not valid JSON`);
  }
  const parsed = Script.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: not a script (a JSON list of replies): ${issue ? `${issue.path.join(".")} ${issue.message}` : "invalid"}`);
  }
  return parsed.data;
}

export interface RecordedRequest {
  /** The path and query the request was sent to. */
  url: string;
  model: string;
  messages: { role: string; content?: unknown; tool_call_id?: string; cache_control?: unknown }[];
  tools: boolean;
  authorization: string | undefined;
  /** The request's other fields (temperature, max_tokens, …), messages and tools left out. */
  parameters: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface ScriptedServerOptions {
  script: ScriptReply[];
  /** When set, requests must carry this bearer token, or get a 401. */
  apiKey?: string;
  /** Keep every request for inspection (tests); off for long benchmark runs. */
  record?: boolean;
}

export interface ScriptedServer {
  /** The base URL to give an OpenAI client, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** How many replies of the script have been served. */
  served(): number;
  /** Milliseconds spent on each request so far, from its arrival to the end of the answer. */
  busyMs: number[];
  close(): Promise<void>;
}

interface ChatRequest {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  messages?: { role: string; content?: unknown; tool_call_id?: string }[];
}

export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let next = 0;
  let callIds = 0;

  const busyMs: number[] = [];
  const server = createServer((req, res) => {
    const started = performance.now();
    res.on("finish", () => busyMs.push(performance.now() - started));
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path?.endsWith("/models")) {
      return sendJson(res, 200, { object: "list", data: [{ id: "scripted", object: "model", owned_by: "molt" }] });
    }
    if (req.method !== "POST" || !path?.endsWith("/chat/completions")) return sendError(res, 404, `no route ${req.method} ${path}`);
    const raw = await readBody(req);
    const body = JSON.parse(raw) as ChatRequest;
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(res, 401, "Incorrect API key provided.", "invalid_api_key");
    }
    if (options.record !== false) {
      const { messages: _messages, tools: _tools, model: _model, ...parameters } = body as ChatRequest & Record<string, unknown>;
      requests.push({ url: req.url ?? "", model: body.model ?? "", messages: body.messages ?? [], tools: (body.tools?.length ?? 0) > 0, authorization: req.headers.authorization, parameters, headers: req.headers });
    }
    const reply = options.script[next];
    if (reply === undefined) return sendError(res, 400, `the script has no more replies (it has ${options.script.length})`);
    next++;
    const step = typeof reply === "string" ? { content: reply } : reply;
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (step.error) {
      const headers: Record<string, string> = step.error.retryAfterSec === undefined ? {} : { "retry-after": String(step.error.retryAfterSec) };
      const { status, message, code, param, type } = step.error;
      return sendJson(res, status, { error: { message: message ?? `scripted HTTP ${status}`, type: type ?? "invalid_request_error", code: code ?? null, param: param ?? null } }, headers);
    }
    const withTools = (body.tools?.length ?? 0) > 0;
    const { content, toolCalls } = renderReply(step, withTools, () => `call_${++callIds}`);
    const usage = usageOf(step.usage, { prompt: Math.ceil(raw.length / 4), completion: Math.ceil((content.length + JSON.stringify(toolCalls).length) / 4) });
    const reasoning = step.reasoning === undefined ? undefined : { field: step.reasoningField ?? "reasoning_content", text: step.reasoning };
    const model = body.model ?? "scripted";
    const finishReason = step.finishReason ?? (toolCalls.length ? "tool_calls" : "stop");
    const withTotal = usage && { ...usage, total_tokens: Number(usage.prompt_tokens) + Number(usage.completion_tokens) };
    if (body.stream) return streamReply(res, { model, content, toolCalls, usage: withTotal, cut: step.cutStream ?? false, finishReason, reasoning, chunkChars: step.chunkChars, chunkDelayMs: step.chunkDelayMs });
    sendJson(res, 200, {
      id: `chatcmpl-${next}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: "assistant", content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason }],
      ...(withTotal ? { usage: withTotal } : {}),
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    served: () => next,
    busyMs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The usage an endpoint reports, in its wire shape; none when the script says false. */
function usageOf(scripted: Exclude<ScriptReply, string>["usage"], estimate: { prompt: number; completion: number }): Record<string, unknown> | undefined {
  if (scripted === false) return undefined;
  const counts = scripted ?? estimate;
  return {
    prompt_tokens: counts.prompt,
    completion_tokens: counts.completion,
    ...(scripted?.cached !== undefined ? { prompt_tokens_details: { cached_tokens: scripted.cached } } : {}),
    ...(scripted?.cacheRead !== undefined ? { cache_read_input_tokens: scripted.cacheRead } : {}),
    ...(scripted?.cacheWrite !== undefined ? { cache_creation_input_tokens: scripted.cacheWrite } : {}),
  };
}

interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

function renderReply(
  step: Exclude<ScriptReply, string>,
  withTools: boolean,
  newId: () => string,
): { content: string; toolCalls: WireToolCall[] } {
  const toolCalls: WireToolCall[] = (step.toolCalls ?? []).map((call) => ({ id: newId(), type: "function", function: call }));
  let content = step.content ?? step.thought ?? "";
  if (step.command !== undefined) {
    if (withTools) toolCalls.push({ id: newId(), type: "function", function: { name: "bash", arguments: JSON.stringify({ command: step.command }) } });
    else content = `${content}${content ? "\n\n" : ""}\`\`\`bash\n${step.command}\n\`\`\``;
  }
  return { content, toolCalls };
}

interface StreamedReply {
  model: string;
  content: string;
  toolCalls: WireToolCall[];
  usage: Record<string, unknown> | undefined;
  /** Stream part of the reply, then cut the connection. */
  cut: boolean;
  finishReason: string;
  reasoning: { field: string; text: string } | undefined;
  chunkChars: number | undefined;
  chunkDelayMs: number | undefined;
}

async function streamReply(res: ServerResponse, reply: StreamedReply): Promise<void> {
  const { model, content, toolCalls, usage, cut, finishReason, reasoning, chunkChars, chunkDelayMs } = reply;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const id = `chatcmpl-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  // Words arrive one by one, as a model would stream them; or pieces of a fixed size when the script asks.
  const pieces = (text: string) => (chunkChars !== undefined ? text.match(new RegExp(`[\\s\\S]{1,${chunkChars}}`, "g")) : text.match(/\s*\S+\s*/g)) ?? [];
  let out = chunk({ role: "assistant", content: "" });
  const send = async (piece: string) => {
    if (chunkDelayMs === undefined) {
      out += piece;
      return;
    }
    res.write(out + piece);
    out = "";
    await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
  };
  // A reasoning model thinks first, in a field of its own.
  for (const piece of pieces(reasoning?.text ?? "")) await send(chunk({ [reasoning!.field]: piece }));
  for (const piece of pieces(content)) await send(chunk({ content: piece }));
  if (cut) {
    res.write(out);
    res.destroy();
    return;
  }
  toolCalls.forEach((call, index) => {
    out += chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
    // Arguments arrive in small pieces that split keys and escapes, as real endpoints stream them.
    for (const piece of call.function.arguments.match(/[\s\S]{1,7}/g) ?? []) out += chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  out += chunk({}, finishReason);
  if (usage) out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`;
  out += "data: [DONE]\n\n";
  res.end(out);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type: status === 401 ? "invalid_request_error" : "server_error", code: code ?? null } }, headers);
}
