import { spawnSync } from "node:child_process";
import { accessSync, constants, lstatSync } from "node:fs";
import { basename, delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ToolDiagnostic } from "../core/events/events.ts";
import { MOLT_ROOT } from "../sandbox/molt-root.ts";
import { Node, Project, SyntaxKind, ts, type SourceFile } from "ts-morph";
import { CheckerFiles } from "./checker-files.ts";
import { readEvolvedFile, tooLargeMessage } from "./evolved-file.ts";

export interface ValidationResult {
  /** A tool (`name.ts`) or a helper module its siblings import (`_name.ts`). */
  kind: "tool" | "helper";
  name: string;
  ok: boolean;
  diagnostics: ToolDiagnostic[];
  ms: number;
}

export const TOOL_NAME = /^[a-z][a-z0-9_]*$/;
const HELPER_NAME = /^_[a-z0-9_]+$/;
const CONTRACT = fileURLToPath(new URL("./contract.ts", import.meta.url));

export interface ValidatorOptions {
  /** The PATH the agent's commands see, without molt's own tool folder: a tool may not shadow what is on it. */
  searchPath: string;
}

/**
 * Checks tool modules with ts-morph before they can be loaded: syntax, strict types against the
 * contract, the default export, the name, the imports. One project is kept warm across checks.
 */
export class ToolValidator {
  readonly #project: Project;
  readonly #files: CheckerFiles;
  readonly #searchDirs: string[];
  readonly #shellWords: Set<string>;

  constructor(options: ValidatorOptions) {
    // The compiler reads through this: the evolved folder's own files and molt's types, nothing else.
    this.#files = new CheckerFiles([CONTRACT, join(MOLT_ROOT, "package.json"), join(MOLT_ROOT, "node_modules")]);
    this.#project = new Project({
      fileSystem: this.#files,
      skipAddingFilesFromTsConfig: true,
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2023,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        allowImportingTsExtensions: true,
        erasableSyntaxOnly: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [join(MOLT_ROOT, "node_modules", "@types")],
        // No DOM: tools run in Node, and the DOM types are most of what a cold check would load.
        lib: ["lib.es2023.d.ts"],
        paths: { "molt/tool": [CONTRACT] },
      },
    });
    this.#searchDirs = options.searchPath.split(delimiter).filter(Boolean);
    this.#shellWords = shellWords();
  }

  /** Loads the compiler, the contract and the library types, so the first real check is quick. */
  warmUp(folder: string): void {
    this.#files.allowFolder(folder);
    const file = join(folder, "__molt_warm_up__.ts");
    const source = this.#project.createSourceFile(
      file,
      'import { defineTool, z } from "molt/tool";\nimport { readFile } from "node:fs/promises";\n' +
        'export default defineTool({ name: "x", description: "", input: z.object({ p: z.string() }), ' +
        "async run({ p }, ctx) { return (await readFile(p, 'utf8')) + ctx.cwd; } });\n",
      { overwrite: true },
    );
    this.#project.getProgram().getSemanticDiagnostics(source);
    this.#project.removeSourceFile(source);
  }

  validate(path: string, displayPath = path): ValidationResult {
    const started = performance.now();
    const name = basename(path, ".ts");
    const kind = HELPER_NAME.test(name) ? "helper" : "tool";
    const diagnostics: ToolDiagnostic[] = [];
    const add = (line: number, column: number, code: string, message: string) => diagnostics.push({ file: displayPath, line, column, code, message });

    if (kind === "tool" && !TOOL_NAME.test(name)) {
      add(1, 1, "molt:name", `"${name}" is not a tool name: use lowercase letters, digits and _, starting with a letter (helpers start with _)`);
    } else if (kind === "tool" && this.#shadows(name)) {
      add(1, 1, "molt:name", `"${name}" is already a command on PATH or in the shell; pick another name`);
    }

    this.#files.allowFolder(dirname(path));
    const file = readEvolvedFile(path);
    const source = file.ok ? this.#refresh(path) : undefined;
    if (!source) {
      add(1, 1, "molt:file", !file.ok && file.problem === "too large" ? tooLargeMessage(displayPath, file.size ?? 0) : "the file could not be read");
      if (!file.ok) this.forget(path);
      return { kind, name, ok: false, diagnostics, ms: performance.now() - started };
    }
    const program = this.#project.getProgram();
    const syntax = program.getSyntacticDiagnostics(source);
    for (const diagnostic of syntax.length > 0 ? syntax : program.getSemanticDiagnostics(source)) {
      const start = diagnostic.getStart() ?? 0;
      const { line, column } = source.getLineAndColumnAtPos(start);
      add(line, column, `TS${diagnostic.getCode()}`, ts.flattenDiagnosticMessageText(diagnostic.compilerObject.messageText, " "));
    }
    if (syntax.length === 0) {
      this.#checkReferences(source, add);
      this.#checkImports(source, dirname(path), add);
      if (kind === "tool") this.#checkExport(source, name, add);
    }
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { kind, name, ok: diagnostics.length === 0, diagnostics, ms: performance.now() - started };
  }

  /** Forgets a file that is gone. */
  forget(path: string): void {
    const source = this.#project.getSourceFile(path);
    if (source) this.#project.removeSourceFile(source);
  }

  #refresh(path: string): SourceFile | undefined {
    const known = this.#project.getSourceFile(path);
    if (known) {
      try {
        known.refreshFromFileSystemSync();
        return known;
      } catch {
        return undefined;
      }
    }
    return this.#project.addSourceFileAtPathIfExists(path);
  }

  /** `/// <reference path|types|lib>` would let a tool name any file on the machine: tools import their siblings instead. */
  #checkReferences(source: SourceFile, add: (line: number, column: number, code: string, message: string) => void): void {
    const references = [...source.getPathReferenceDirectives(), ...source.getTypeReferenceDirectives(), ...source.getLibReferenceDirectives()];
    for (const reference of references) {
      const { line } = source.getLineAndColumnAtPos(reference.getPos());
      add(line, 1, "molt:reference", `/// <reference> is not allowed in tools ("${reference.getFileName()}"); import sibling files with import "./_name.ts"`);
    }
  }

  #checkImports(source: SourceFile, folder: string, add: (line: number, column: number, code: string, message: string) => void): void {
    const specifiers: { text: string; node: Node }[] = [];
    for (const declaration of [...source.getImportDeclarations(), ...source.getExportDeclarations()]) {
      const specifier = declaration.getModuleSpecifier();
      if (specifier) specifiers.push({ text: specifier.getLiteralText(), node: specifier });
    }
    for (const call of source.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      const isImport = callee.getKind() === SyntaxKind.ImportKeyword;
      const isRequire = Node.isIdentifier(callee) && callee.getText() === "require";
      if (!isImport && !isRequire) continue;
      const [argument] = call.getArguments();
      if (argument && Node.isStringLiteral(argument)) specifiers.push({ text: argument.getLiteralText(), node: argument });
      else specifiers.push({ text: "", node: call });
    }
    for (const { text, node } of specifiers) {
      const problem = importProblem(text, folder) ?? linkProblem(text, folder);
      if (problem) {
        const { line, column } = source.getLineAndColumnAtPos(node.getStart());
        add(line, column, "molt:import", problem);
      }
    }
  }

  #checkExport(source: SourceFile, name: string, add: (line: number, column: number, code: string, message: string) => void): void {
    const assignment = source.getExportAssignments().find((candidate) => !candidate.isExportEquals());
    const expression = assignment?.getExpression();
    if (!assignment || !expression || !Node.isCallExpression(expression) || expression.getExpression().getText() !== "defineTool") {
      const at = assignment ?? source;
      const { line, column } = source.getLineAndColumnAtPos(at.getStart());
      add(line, column, "molt:export", 'the default export must be a defineTool({...}) call: export default defineTool({ name, description, input, run })');
      return;
    }
    const [definition] = expression.getArguments();
    if (!definition || !Node.isObjectLiteralExpression(definition)) return;
    const nameProperty = definition.getProperty("name");
    const initializer = nameProperty && Node.isPropertyAssignment(nameProperty) ? nameProperty.getInitializer() : undefined;
    if (!initializer || !(Node.isStringLiteral(initializer) || Node.isNoSubstitutionTemplateLiteral(initializer))) {
      const { line, column } = source.getLineAndColumnAtPos((nameProperty ?? definition).getStart());
      add(line, column, "molt:name", `name must be the string "${name}"`);
      return;
    }
    if (initializer.getLiteralText() !== name) {
      const { line, column } = source.getLineAndColumnAtPos(initializer.getStart());
      add(line, column, "molt:name", `name is "${initializer.getLiteralText()}" but the file is ${name}.ts; they must match`);
    }
  }

  #shadows(name: string): boolean {
    if (this.#shellWords.has(name)) return true;
    return this.#searchDirs.some((dir) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  }
}

/** Built-ins that start processes: a tool's processes must be its command's, so they start through ctx.exec. */
const PROCESS_BUILTINS = new Set(["child_process", "cluster"]);

/** Why an import is not allowed, or undefined when it is. */
export function importProblem(specifier: string, folder: string): string | undefined {
  if (specifier === "") return "imports must name a module with a plain string";
  if (specifier === "molt/tool") return undefined;
  if (specifier.startsWith("node:")) {
    if (PROCESS_BUILTINS.has(specifier.slice(5))) {
      return `"${specifier}" is not available to tools: run commands with ctx.exec(command), which runs them as part of the command that called the tool`;
    }
    return undefined;
  }
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const target = resolve(folder, specifier);
    if (relative(folder, target).startsWith("..")) return `"${specifier}" is outside the evolved folder; tools may import only their sibling files`;
    if (dirname(target) !== resolve(folder)) return `"${specifier}" is in a subfolder; tools may import only their sibling files`;
    if (!specifier.endsWith(".ts")) return `"${specifier}": import sibling files with their .ts extension`;
    return undefined;
  }
  const builtin = specifier.split("/")[0]!;
  if (NODE_BUILTINS.has(builtin)) return `"${specifier}": write "node:${specifier}"`;
  return `"${specifier}" is not allowed: tools may import only "molt/tool", node: built-ins and sibling files`;
}

/** A sibling that is a link: the checker does not follow it (it could lead out of the sandbox), so say why. */
function linkProblem(specifier: string, folder: string): string | undefined {
  if (!specifier.startsWith("./")) return undefined;
  const info = lstatSync(resolve(folder, specifier), { throwIfNoEntry: false });
  return info?.isSymbolicLink() ? `"${specifier}" is a link; tools may import only files in the evolved folder itself` : undefined;
}

const NODE_BUILTINS = new Set(["fs", "path", "child_process", "os", "util", "url", "crypto", "events", "stream", "buffer", "zlib", "http", "https", "net", "readline", "assert", "timers", "process", "module", "worker_threads"]);

/** Builtins and keywords of bash: a tool named like one would never run. */
function shellWords(): Set<string> {
  // No rc files: with a socket on stdin, Debian's bash would otherwise read ~/.bashrc.
  const result = spawnSync("bash", ["--norc", "--noprofile", "-c", "compgen -b; compgen -k"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  return new Set((result.stdout ?? "").split("\n").filter(Boolean));
}
