// What the tool checker may read. It runs outside the sandbox, so it must see no more than the
// agent does: the regular files of the evolved folders it checks (no links, nothing over a tool's
// size), and molt's own type declarations (the contract, zod, Node's types). Every other path,
// and every write, is as if it did not exist: a tool that imports a link to a secret, or names an
// absolute path in a /// <reference>, gets "not found", never the file's content.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import * as tsMorph from "ts-morph";
import type { FileSystemHost, RuntimeDirEntry } from "ts-morph";
import { readEvolvedFile } from "./evolved-file.ts";

/** Trees of molt's own files, under their own names and as their links resolve. */
function trusted(paths: string[]): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    found.add(resolve(path));
    if (existsSync(path)) found.add(realpathSync(path));
  }
  return [...found];
}

function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

// ts-morph takes a missing file for "not found" only when it gets its own error, which it exports
// at run time but leaves out of its type declarations.
const { FileNotFoundError } = tsMorph as unknown as { FileNotFoundError: new (path: string) => Error };

function notFound(path: string): Error {
  return new FileNotFoundError(path);
}

export class CheckerFiles implements FileSystemHost {
  readonly #molt: string[];
  readonly #folders = new Set<string>();

  /** `moltFiles`: molt's own files and folders the checker needs (the contract, node_modules). */
  constructor(moltFiles: string[]) {
    this.#molt = trusted(moltFiles);
  }

  /** Lets the checker read the regular files directly in this folder: an evolved folder. */
  allowFolder(folder: string): void {
    this.#folders.add(resolve(folder));
  }

  #inFolder(path: string): boolean {
    return this.#folders.has(dirname(resolve(path)));
  }

  #isMolt(path: string): boolean {
    const full = resolve(path);
    return this.#molt.some((root) => isWithin(full, root));
  }

  /** Folders on the way to what may be read: that they exist says nothing about anyone's files. */
  #isOnTheWay(path: string): boolean {
    const full = resolve(path);
    return [...this.#molt, ...this.#folders].some((root) => isWithin(root, full));
  }

  isCaseSensitive(): boolean {
    return true;
  }

  readFileSync(filePath: string): string {
    if (this.#inFolder(filePath)) {
      const file = readEvolvedFile(filePath);
      if (file.ok) return file.text;
    } else if (this.#isMolt(filePath) && statSync(filePath, { throwIfNoEntry: false })?.isFile()) {
      return readFileSync(filePath, "utf8");
    }
    throw notFound(filePath);
  }

  async readFile(filePath: string): Promise<string> {
    return this.readFileSync(filePath);
  }

  fileExistsSync(filePath: string): boolean {
    if (this.#inFolder(filePath)) return lstatSync(filePath, { throwIfNoEntry: false })?.isFile() ?? false;
    return this.#isMolt(filePath) && (statSync(filePath, { throwIfNoEntry: false })?.isFile() ?? false);
  }

  async fileExists(filePath: string): Promise<boolean> {
    return this.fileExistsSync(filePath);
  }

  directoryExistsSync(dirPath: string): boolean {
    if (!this.#isMolt(dirPath) && !this.#isOnTheWay(dirPath)) return false;
    return statSync(dirPath, { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  async directoryExists(dirPath: string): Promise<boolean> {
    return this.directoryExistsSync(dirPath);
  }

  readDirSync(dirPath: string): RuntimeDirEntry[] {
    if (!this.#isMolt(dirPath)) return [];
    return readdirSync(dirPath, { withFileTypes: true }).map((entry) => {
      const path = join(dirPath, entry.name);
      const info = statSync(path, { throwIfNoEntry: false });
      return { name: path, isFile: info?.isFile() ?? false, isDirectory: info?.isDirectory() ?? false, isSymlink: entry.isSymbolicLink() };
    });
  }

  /** molt's links resolve (its node_modules may be one); an evolved file is itself, never what a link names. */
  realpathSync(path: string): string {
    return this.#isMolt(path) && existsSync(path) ? realpathSync(path) : resolve(path);
  }

  getCurrentDirectory(): string {
    return process.cwd();
  }

  // The checker only reads.
  delete(): Promise<void> {
    return Promise.reject(readOnly());
  }
  deleteSync(): void {
    throw readOnly();
  }
  writeFile(): Promise<void> {
    return Promise.reject(readOnly());
  }
  writeFileSync(): void {
    throw readOnly();
  }
  mkdir(): Promise<void> {
    return Promise.reject(readOnly());
  }
  mkdirSync(): void {
    throw readOnly();
  }
  move(): Promise<void> {
    return Promise.reject(readOnly());
  }
  moveSync(): void {
    throw readOnly();
  }
  copy(): Promise<void> {
    return Promise.reject(readOnly());
  }
  copySync(): void {
    throw readOnly();
  }
  glob(): Promise<string[]> {
    return Promise.resolve([]);
  }
  globSync(): string[] {
    return [];
  }
}

function readOnly(): Error {
  return new Error("the tool checker does not write files");
}
