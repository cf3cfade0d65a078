import { OpenAIModel, type Model } from "../../core/model.ts";
import type { ModelSpec } from "../../core/run-spec.ts";
import { InputError } from "./input-error.ts";
import { loadScript, startScriptedServer, type ScriptedServer, type ScriptReply } from "./scripted-server.ts";

/** The replies of a `script:FILE` model, read and checked before anything starts; undefined for a real model. */
export async function checkedScript(model: ModelSpec): Promise<ScriptReply[] | undefined> {
  const file = model.script;
  if (file === undefined) return undefined;
  try {
    return await loadScript(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`cannot read the script ${file}: no such file`);
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
}

/** A run's model: the endpoint the spec names, or molt's scripted server serving the script. */
export interface RunModel {
  model: Model;
  /** The endpoint the requests go to (the scripted server's own address for a script). */
  baseUrl: string | undefined;
  close(): Promise<void>;
}

export async function openModel(spec: ModelSpec, script: ScriptReply[] | undefined, apiKey: string | undefined, headers?: Record<string, string>): Promise<RunModel> {
  const server: ScriptedServer | undefined = script ? await startScriptedServer({ script }) : undefined;
  const baseUrl = server?.url ?? spec.baseUrl;
  const model = new OpenAIModel({
    model: spec.name,
    baseUrl,
    // Local servers (llama.cpp, Ollama, vLLM) take any key; the client insists on one.
    apiKey: apiKey ?? "no-key",
    actionFormat: spec.actionFormat,
    price: spec.price,
    retries: spec.retries,
    requestTimeoutMs: spec.requestTimeoutSec * 1000,
    kwargs: spec.kwargs,
    ...(headers ? { headers } : {}),
    ...(spec.cacheControl ? { cacheControl: spec.cacheControl } : {}),
  });
  return { model, baseUrl, close: async () => server?.close() };
}
