import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { readPredictions } from "../../bin/runtime/eval/predictions.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "molt-preds-"));
  dirs.push(dir);
  const path = join(dir, "preds");
  await writeFile(path, text);
  return path;
}

test.each([
  ["preds.json", JSON.stringify({ a: { instance_id: "a", model_name_or_path: "m", model_patch: "P" }, b: { instance_id: "b", model_patch: null } })],
  ["a list", JSON.stringify([{ instance_id: "a", model_patch: "P" }, { instance_id: "b", model_patch: "" }])],
  ["JSON lines", `${JSON.stringify({ instance_id: "a", model_patch: "P" })}\n\n${JSON.stringify({ instance_id: "b" })}\n`],
])("reads %s", async (_, text) => {
  expect(await readPredictions(await file(text))).toEqual(new Map([["a", "P"], ["b", ""]]));
});

test.each([
  [JSON.stringify({ a: { instance_id: "b", model_patch: "P" } }), /\["a"\]: the key a holds the prediction for b$/],
  [JSON.stringify([{ instance_id: "a", model_patch: "P" }, { instance_id: "a", model_patch: "Q" }]), /: two predictions for a$/],
  ["{ not json\n", /:1: not JSON$/],
  ["", /: empty$/],
])("refuses %s", async (text, message) => {
  await expect(readPredictions(await file(text))).rejects.toThrow(message);
});
