import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

// The rooms of the house (docs/architecture.md) and what each may import, checked on the sources
// themselves: a change that breaks a rule fails the build here, with the file and the import named.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Import {
  /** What is imported: a package, `node:…`, or a file relative to the root. */
  target: string;
  typeOnly: boolean;
  line: number;
}

interface Source {
  /** Relative to the root, with forward slashes. */
  file: string;
  text: string;
  imports: Import[];
}

function sourcesUnder(dir: string): Source[] {
  const out: Source[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(join(ROOT, at), { withFileTypes: true })) {
      const path = `${at}/${entry.name}`;
      if (entry.isDirectory()) {
        // The demo's sample repository is the user's kind of code, not molt's.
        if (path !== "bin/runtime/demo" && entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts")) out.push(read(path));
    }
  };
  walk(dir);
  return out;
}

function read(file: string): Source {
  const text = readFileSync(join(ROOT, file), "utf8");
  const imports: Import[] = [];
  const statement = /^\s*(import|export)(\s+type)?\s[^;]*?\sfrom\s+"([^"]+)"/gm;
  const dynamic = /\bimport\(\s*"([^"]+)"\s*\)/g;
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const match of text.matchAll(statement)) imports.push({ target: resolved(file, match[3]!), typeOnly: match[2] !== undefined, line: lineOf(match.index) });
  for (const match of text.matchAll(dynamic)) imports.push({ target: resolved(file, match[1]!), typeOnly: false, line: lineOf(match.index) });
  return { file, text, imports };
}

function resolved(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier)).split("\\").join("/");
}

/** Every import of these sources that breaks the rule, as `file:line imports target`. */
function breaches(sources: Source[], forbidden: (target: string, imported: Import) => boolean): string[] {
  return sources.flatMap((source) => source.imports.filter((imported) => forbidden(imported.target, imported)).map((imported) => `${source.file}:${imported.line} imports ${imported.target}`));
}

const under = (target: string, ...rooms: string[]) => rooms.some((room) => target === room || target.startsWith(`${room}/`));
const OURS = ["bin", "core", "tools", "sandbox", "evolved", "test", "bench"];

describe("the house", () => {
  const runtime = sourcesUnder("bin/runtime");
  const ui = sourcesUnder("bin/ui");
  const core = sourcesUnder("core");
  const tools = sourcesUnder("tools");
  const sandbox = sourcesUnder("sandbox");
  const shipped = [...sourcesUnder("bin"), ...core, ...tools, ...sandbox, ...sourcesUnder("bench")];

  test("the rooms exist and hold code", () => {
    for (const room of [runtime, ui, sourcesUnder("bin/cli"), core, tools, sandbox]) expect(room.length).toBeGreaterThan(0);
  });

  test("bin/runtime imports neither the command line, nor the views, nor ink or React", () => {
    expect(breaches(runtime, (target) => under(target, "bin/cli", "bin/ui") || target === "bin/main.ts" || /^(ink|react)(-|\/|$)/.test(target))).toEqual([]);
  });

  test("bin/runtime never exits the process, handles no signals, parses no flags and checks no terminal", () => {
    const rules: [RegExp, string][] = [
      [/process\.exit\(/, "exits the process"],
      [/process\.(on|once)\(\s*"SIG/, "handles a signal"],
      [/\bparseArgs\b/, "parses flags"],
      [/\bisTTY\b|setRawMode/, "checks the terminal"],
    ];
    const found = runtime.flatMap((source) => rules.filter(([pattern]) => pattern.test(source.text)).map(([, what]) => `${source.file} ${what}`));
    expect(found).toEqual([]);
  });

  test("bin/ui imports no command line, and of the runtime only its types", () => {
    expect(breaches(ui, (target, imported) => under(target, "bin/cli") || (under(target, "bin/runtime") && !imported.typeOnly))).toEqual([]);
  });

  test("core imports nothing of bin, tools or sandbox", () => {
    expect(breaches(core, (target) => under(target, "bin", "tools", "sandbox", "test", "bench"))).toEqual([]);
  });

  test("sandbox imports nothing of ours", () => {
    expect(breaches(sandbox, (target) => under(target, ...OURS.filter((room) => room !== "sandbox")))).toEqual([]);
  });

  test("tools imports core's types and the sandbox, nothing of bin", () => {
    expect(breaches(tools, (target, imported) => under(target, "bin", "test", "bench") || (under(target, "core") && !imported.typeOnly))).toEqual([]);
  });

  test("shipped code and the benchmarks never import test/", () => {
    expect(breaches(shipped, (target) => under(target, "test"))).toEqual([]);
  });

  test("the rule checks see real imports: a known one is found", () => {
    const run = runtime.find((source) => source.file === "bin/runtime/run.ts");
    expect(run?.imports.map((imported) => imported.target)).toContain("core/agent.ts");
    expect(ui.find((source) => source.file === "bin/ui/live/live-view.ts")?.imports.map((imported) => imported.target)).toContain("ink");
  });
});
