#!/usr/bin/env node
// Runs a command with a Node that can run molt first on PATH (bin/modern-node.mjs): what the
// npm scripts (test, bench) go through, so that they work on a machine whose Node is older.
import { delimiter, dirname } from "node:path";
import { handOver, modernNode } from "./modern-node.mjs";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: node bin/with-modern-node.mjs COMMAND [ARGS...]\n");
  process.exit(2);
}
const node = modernNode();
if (node === undefined) process.exit(2);
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
handOver(command, args, env);
