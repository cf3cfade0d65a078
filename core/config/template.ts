import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";

/**
 * Jinja2 templates as Python's Jinja2 renders them with StrictUndefined, on @huggingface/jinja:
 * Jinja2's default whitespace rules (no trim_blocks, no lstrip_blocks, one final newline dropped),
 * values printed as Python prints them (True, None, 3.0), `tojson` as Jinja2's (keys sorted, ASCII
 * only, <, >, & and ' escaped), and an unknown variable an error, found before anything renders.
 */

/** What a template may use: a name maps to "value", or to the shape of an object's fields. */
export interface TemplateShape {
  [name: string]: "value" | TemplateShape;
}

export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

/**
 * A text of which only the ends were kept: `text` holds its first `head` characters and its end,
 * and `elided` characters stood between them. Templates measure and slice it as the whole text.
 */
export interface ElidedText {
  text: string;
  head: number;
  elided: number;
}

export interface CompiledTemplate {
  /** Renders with these variables; a string value equal to an elided text's `text` stands for the whole of it. */
  render(variables: Record<string, unknown>, elided?: readonly ElidedText[]): string;
}

type Node = { type: string; [field: string]: unknown };

const PRINT = "__molt_print";
const TO_JSON = "__molt_tojson";
const LENGTH = "__molt_length";
const SLICE = "__molt_slice";
const CONTAINS = "__molt_contains";
/** Names every template has. */
const GLOBALS = new Set(["true", "false", "none", "True", "False", "None", "range", "loop"]);

/** Parses and checks a template; `shape` says which variables it may use. */
export function compileTemplate(source: string, shape: TemplateShape, label = "template"): CompiledTemplate {
  let program: Node;
  try {
    program = parse(tokenize(source, {})) as unknown as Node;
  } catch (error) {
    throw new TemplateError(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkNames(program, shape, label);
  rewrite(program);
  return {
    render(variables, elided = []) {
      const whole = (value: RuntimeValue) => (value.type === "StringValue" ? elided.find((entry) => entry.text === value.value) : undefined);
      const env = new Environment();
      for (const [name, value] of Object.entries(variables)) env.set(name, value);
      for (const name of ["True", "true"]) env.set(name, true);
      for (const name of ["False", "false"]) env.set(name, false);
      for (const name of ["None", "none"]) env.set(name, null);
      env.set("range", pythonRange);
      const native = (name: string, body: (args: RuntimeValue[]) => unknown) => env.variables.set(name, nativeFunction(body) as never);
      native(PRINT, ([value]) => pythonStr(value!, label));
      native(TO_JSON, ([value]) => jinjaToJson(value!));
      native(LENGTH, ([value]) => {
        const entry = whole(value!);
        return pythonLength(value!, label) + (entry?.elided ?? 0);
      });
      native(CONTAINS, ([needle, haystack]) => pythonContains(needle!, haystack!, label));
      native(SLICE, ([value, start, stop, step]) => {
        const entry = whole(value!);
        return entry ? sliceElided(entry, start!, stop!, step!, label) : pythonSlice(value!, start!, stop!, step!, label);
      });
      try {
        const result = new Interpreter(env).run(program as never) as unknown as RuntimeValue;
        return String(result.value);
      } catch (error) {
        if (error instanceof TemplateError) throw error;
        throw new TemplateError(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** A value of the interpreter at run time: what `.type` says, and the JavaScript value inside. */
interface RuntimeValue {
  type: string;
  value: unknown;
}

/**
 * A function the interpreter calls with its own values (not their JavaScript insides). What it
 * returns is made one of the interpreter's values as it makes them, unless it is one already.
 */
function nativeFunction(body: (args: RuntimeValue[]) => unknown): unknown {
  // An environment converts a value as it declares it; each value gets a fresh one, since a name is declared once.
  const scratch = { set: (name: string, value: unknown) => new Environment().set(name, value) };
  return {
    type: "FunctionValue",
    value: (args: RuntimeValue[]) => {
      const result = body(args);
      if (isRuntimeValue(result)) return result;
      if (Array.isArray(result) && result.every(isRuntimeValue)) {
        const ArrayValue = (scratch.set("list", []) as unknown as { constructor: new (items: unknown[]) => unknown }).constructor;
        return new ArrayValue(result);
      }
      return scratch.set("result", result);
    },
    __bool__: () => scratch.set("true", true),
  };
}

function isRuntimeValue(value: unknown): value is RuntimeValue {
  return typeof value === "object" && value !== null && typeof (value as RuntimeValue).type === "string" && (value as RuntimeValue).type.endsWith("Value");
}

/**
 * Wraps every printed expression in a call that prints as Python does, and every `tojson` filter in
 * a call that dumps as Jinja2 does. Printed expressions are those standing as statements in a body.
 */
function rewrite(node: Node): void {
  for (const field of ["body", "alternate", "defaultBlock"] as const) {
    const statements = node[field];
    if (!Array.isArray(statements)) continue;
    node[field] = (statements as Node[]).map((statement) => (isPrinted(statement) ? call(PRINT, statement) : statement));
  }
  for (const child of children(node)) rewrite(child);
  if (node.type === "FilterExpression") {
    const filter = node.filter as Node;
    const name = filter.type === "Identifier" ? filter.value : filter.type === "CallExpression" ? (filter.callee as Node).value : undefined;
    if (name === "tojson") become(node, call(TO_JSON, node.operand as Node));
    else if (name === "length" || name === "count") become(node, call(LENGTH, node.operand as Node));
  } else if (node.type === "BinaryExpression" && ["in", "not in"].includes(String((node.operator as Node).value))) {
    // Python's membership: None in a list is False, not an error.
    const test = call(CONTAINS, node.left as Node);
    (test.args as Node[]).push(node.right as Node);
    become(node, (node.operator as Node).value === "in" ? test : { type: "UnaryExpression", operator: { type: "UnaryOperator", value: "not" }, argument: test });
  } else if (node.type === "MemberExpression" && node.computed && (node.property as Node).type === "SliceExpression") {
    // Python slices count code points, where JavaScript's count UTF-16 units.
    const slice = node.property as Node;
    const none: Node = { type: "Identifier", value: "None" };
    become(node, { type: "CallExpression", callee: { type: "Identifier", value: SLICE }, args: [node.object as Node, (slice.start as Node) ?? none, (slice.stop as Node) ?? none, (slice.step as Node) ?? none] });
  }
}

/** Turns a node into another in place, so that whatever holds it holds the new one. */
function become(node: Node, replacement: Node): void {
  for (const key of Object.keys(node)) delete node[key];
  Object.assign(node, replacement);
}

const NOT_PRINTED = new Set(["If", "For", "Set", "Macro", "Comment", "Break", "Continue", "CallStatement", "FilterStatement", "StringLiteral"]);

function isPrinted(statement: Node): boolean {
  return !NOT_PRINTED.has(statement.type);
}

function call(name: string, argument: Node): Node {
  return { type: "CallExpression", callee: { type: "Identifier", value: name }, args: [argument] };
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    // An operator is a token of the source, not a node.
    if (key === "type" || key === "operator") continue;
    if (Array.isArray(value)) for (const item of value) collect(item, out);
    else if (value instanceof Map) for (const [k, v] of value) collect(k, out), collect(v, out);
    else collect(value, out);
  }
  return out;
}

function collect(value: unknown, out: Node[]): void {
  if (typeof value === "object" && value !== null && typeof (value as Node).type === "string") out.push(value as Node);
}

/**
 * StrictUndefined, before anything renders: every name a template reads must be one it was given,
 * one it set itself, or a loop's; `x is defined` may ask about any name (and a name it asks about
 * is left to render time, as Jinja2 leaves it). Fields of the objects it was given are checked as
 * deep as their shape is known.
 */
function checkNames(program: Node, shape: TemplateShape, label: string): void {
  // A name the template asks `is defined` about may be missing: where it is used, the template means to guard it.
  const local = probedNames(program);
  const visit = (node: Node, probing: boolean): void => {
    switch (node.type) {
      case "Set":
        bind(node.assignee as Node, local);
        break;
      case "For":
        bind(node.loopvar as Node, local);
        break;
      case "Macro":
        local.add(String((node.name as Node).value));
        for (const parameter of (node.args as Node[]) ?? []) bind(parameter.type === "KeywordArgumentExpression" ? (parameter.key as Node) : parameter, local);
        break;
      case "TestExpression": {
        const test = String((node.test as Node).value);
        visit(node.operand as Node, probing || test === "defined" || test === "undefined");
        return;
      }
      case "FilterExpression": {
        // A filter's name is not a variable; its arguments are.
        visit(node.operand as Node, probing);
        const filter = node.filter as Node;
        if (filter.type === "CallExpression") for (const argument of filter.args as Node[]) visit(argument, probing);
        return;
      }
      case "FilterStatement": {
        const filter = node.filter as Node;
        if (filter.type === "CallExpression") for (const argument of filter.args as Node[]) visit(argument, probing);
        for (const statement of node.body as Node[]) visit(statement, probing);
        return;
      }
      case "KeywordArgumentExpression":
        visit(node.value as Node, probing);
        return;
      case "Identifier": {
        const name = String(node.value);
        if (!probing && !(name in shape) && !local.has(name) && !GLOBALS.has(name)) throw new TemplateError(`${label}: '${name}' is undefined`);
        return;
      }
      case "MemberExpression": {
        const path = memberPath(node);
        if (path && !probing && !local.has(path[0]!) && !GLOBALS.has(path[0]!)) checkPath(path, shape, label);
        // A field's name is not a variable.
        visit(node.object as Node, probing);
        if (node.computed) visit(node.property as Node, probing);
        return;
      }
    }
    for (const child of children(node)) visit(child, probing);
  };
  visit(program, false);
}

function probedNames(program: Node): Set<string> {
  const names = new Set<string>();
  const visit = (node: Node): void => {
    if (node.type === "TestExpression" && ["defined", "undefined"].includes(String((node.test as Node).value))) {
      const path = memberPath(node.operand as Node);
      if (path) names.add(path[0]!);
    }
    for (const child of children(node)) visit(child);
  };
  visit(program);
  return names;
}

function bind(target: Node, names: Set<string>): void {
  if (target.type === "Identifier") names.add(String(target.value));
  else if (target.type === "TupleLiteral") for (const item of target.value as Node[]) bind(item, names);
}

/** `a.b.c` as ["a", "b", "c"]; undefined when any part is computed (`a[i]`) or the root is not a name. */
function memberPath(node: Node): string[] | undefined {
  if (node.type === "Identifier") return [String(node.value)];
  if (node.type !== "MemberExpression" || node.computed) return undefined;
  const inner = memberPath(node.object as Node);
  const property = node.property as Node;
  return inner && property.type === "Identifier" ? [...inner, String(property.value)] : undefined;
}

function checkPath(path: string[], shape: TemplateShape, label: string): void {
  let at: TemplateShape | "value" = shape;
  for (const [index, part] of path.entries()) {
    if (at === "value") return;
    const next: TemplateShape | "value" | undefined = at[part];
    if (next === undefined) {
      const owner = path.slice(0, index).join(".");
      throw new TemplateError(`${label}: ${owner ? `'${owner}' has no attribute '${part}'` : `'${part}' is undefined`}`);
    }
    at = next;
  }
}

/** What Python's str() gives for a value, as Jinja2 prints it. */
function pythonStr(value: RuntimeValue, label: string): string {
  switch (value.type) {
    case "StringValue":
      return value.value as string;
    case "UndefinedValue":
      throw new TemplateError(`${label}: a value it prints is undefined`);
    default:
      return pythonRepr(value);
  }
}

function pythonRepr(value: RuntimeValue): string {
  switch (value.type) {
    case "StringValue":
      return pythonStringRepr(value.value as string);
    case "IntegerValue":
      return String(value.value);
    case "FloatValue":
      return pythonFloat(value.value as number);
    case "BooleanValue":
      return value.value ? "True" : "False";
    case "NullValue":
    case "UndefinedValue":
      return "None";
    case "ArrayValue":
      return `[${(value.value as RuntimeValue[]).map(pythonRepr).join(", ")}]`;
    case "TupleValue": {
      const items = (value.value as RuntimeValue[]).map(pythonRepr);
      return `(${items.join(", ")}${items.length === 1 ? "," : ""})`;
    }
    case "ObjectValue":
      return `{${[...(value.value as Map<string, RuntimeValue>)].map(([key, inner]) => `${pythonStringRepr(key)}: ${pythonRepr(inner)}`).join(", ")}}`;
    default:
      return String(value.value);
  }
}

function pythonFloat(number: number): string {
  if (Number.isNaN(number)) return "nan";
  if (!Number.isFinite(number)) return number > 0 ? "inf" : "-inf";
  return Number.isInteger(number) && Math.abs(number) < 1e16 ? number.toFixed(1) : String(number).replace(/e\+?/, "e+").replace("e+-", "e-");
}

function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]/g, (char) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[char]!);
  return `${quote}${quote === "'" ? escaped.replaceAll("'", "\\'") : escaped}${quote}`;
}

/** Jinja2's tojson: json.dumps with sorted keys and ASCII only, then <, >, & and ' escaped for HTML. */
function jinjaToJson(value: RuntimeValue): string {
  return pythonJson(value).replace(/[<>&']/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function pythonJson(value: RuntimeValue): string {
  switch (value.type) {
    case "StringValue":
      return JSON.stringify(value.value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
    case "IntegerValue":
      return String(value.value);
    case "FloatValue":
      return pythonFloat(value.value as number).replace(/^nan$/, "NaN").replace(/^(-?)inf$/, "$1Infinity");
    case "BooleanValue":
      return value.value ? "true" : "false";
    case "NullValue":
    case "UndefinedValue":
      return "null";
    case "ArrayValue":
    case "TupleValue":
      return `[${(value.value as RuntimeValue[]).map(pythonJson).join(", ")}]`;
    case "ObjectValue":
      return `{${[...(value.value as Map<string, RuntimeValue>)]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => `${pythonJson({ type: "StringValue", value: key })}: ${pythonJson(inner)}`)
        .join(", ")}}`;
    default:
      return JSON.stringify(String(value.value));
  }
}

/** `needle in haystack` as Python answers it: an item of a list (by value), a part of a string, a key of a mapping. */
function pythonContains(needle: RuntimeValue, haystack: RuntimeValue, label: string): boolean {
  switch (haystack.type) {
    case "ArrayValue":
    case "TupleValue":
      return (haystack.value as RuntimeValue[]).some((item) => pythonEquals(item, needle));
    case "StringValue":
      if (needle.type !== "StringValue") throw new TemplateError(`${label}: 'in <string>' requires string as left operand`);
      return (haystack.value as string).includes(needle.value as string);
    case "ObjectValue":
      return needle.type === "StringValue" && (haystack.value as Map<string, unknown>).has(needle.value as string);
    default:
      throw new TemplateError(`${label}: argument of type '${haystack.type.replace("Value", "").toLowerCase()}' is not iterable`);
  }
}

function pythonEquals(a: RuntimeValue, b: RuntimeValue): boolean {
  const numeric = (value: RuntimeValue) => value.type === "IntegerValue" || value.type === "FloatValue" || value.type === "BooleanValue";
  if (numeric(a) && numeric(b)) return Number(a.value) === Number(b.value);
  const none = (value: RuntimeValue) => value.type === "NullValue" || value.type === "UndefinedValue";
  if (none(a) || none(b)) return none(a) && none(b);
  return a.type === b.type && a.value === b.value;
}

/** Python's range(), for `{% for i in range(3) %}`. */
function pythonRange(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  const out: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** len(): code points of a string, items of a list, keys of a mapping. */
function pythonLength(value: RuntimeValue, label: string): number {
  switch (value.type) {
    case "StringValue": {
      const text = value.value as string;
      return SURROGATE.test(text) ? text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0) : text.length;
    }
    case "ArrayValue":
    case "TupleValue":
      return (value.value as unknown[]).length;
    case "ObjectValue":
      return (value.value as Map<string, unknown>).size;
    default:
      throw new TemplateError(`${label}: object of type '${value.type.replace("Value", "").toLowerCase()}' has no len()`);
  }
}

/** value[start:stop:step] as Python slices it: by code points for strings; negative bounds count from the end. */
function pythonSlice(value: RuntimeValue, start: RuntimeValue, stop: RuntimeValue, step: RuntimeValue, label: string): unknown {
  const bound = (bound: RuntimeValue) => (bound.type === "NullValue" || bound.type === "UndefinedValue" ? undefined : Number(bound.value));
  const [from, to, by] = [bound(start), bound(stop), bound(step) ?? 1];
  if (by === 0) throw new TemplateError(`${label}: slice step cannot be zero`);
  if (value.type === "StringValue") {
    const text = value.value as string;
    if (!SURROGATE.test(text)) return pickSlice(text.length, from, to, by, (i) => text[i]!, (a, b) => text.slice(a, b)).join("");
    const points = Array.from(text);
    return pickSlice(points.length, from, to, by, (i) => points[i]!, (a, b) => points.slice(a, b).join("")).join("");
  }
  if (value.type === "ArrayValue" || value.type === "TupleValue") {
    const items = value.value as RuntimeValue[];
    return pickSlice(items.length, from, to, by, (i) => [items[i]!], (a, b) => items.slice(a, b)).flat();
  }
  throw new TemplateError(`${label}: '${value.type.replace("Value", "").toLowerCase()}' object is not subscriptable`);
}

/**
 * A slice of an elided text as if it were whole: what falls in the kept ends is exact; what falls
 * in the elided middle is left out (it was never kept).
 */
function sliceElided(entry: ElidedText, start: RuntimeValue, stop: RuntimeValue, step: RuntimeValue, label: string): string {
  const head = Array.from(entry.text.slice(0, entry.head));
  const tail = Array.from(entry.text.slice(entry.head));
  const length = head.length + entry.elided + tail.length;
  const bound = (bound: RuntimeValue) => (bound.type === "NullValue" || bound.type === "UndefinedValue" ? undefined : Number(bound.value));
  const by = bound(step) ?? 1;
  if (by === 0) throw new TemplateError(`${label}: slice step cannot be zero`);
  const at = (index: number) => (index < head.length ? head[index]! : index >= head.length + entry.elided ? tail[index - head.length - entry.elided]! : "");
  const run = (from: number, to: number) => {
    let out = "";
    for (let i = from; i < Math.min(to, head.length); i++) out += head[i];
    const tailFrom = Math.max(from, head.length + entry.elided);
    for (let i = tailFrom; i < to; i++) out += tail[i - head.length - entry.elided];
    return out;
  };
  return pickSlice(length, bound(start), bound(stop), by, at, run).join("");
}

/** The parts of a sequence of `length` items that Python's slice picks: a run when the step is 1, else items one by one. */
function pickSlice<T>(length: number, start: number | undefined, stop: number | undefined, step: number, item: (index: number) => T, run: (from: number, to: number) => T): T[] {
  const clamp = (index: number, low: number, high: number) => Math.min(Math.max(index < 0 ? index + length : index, low), high);
  if (step > 0) {
    const from = start === undefined ? 0 : clamp(start, 0, length);
    const to = stop === undefined ? length : clamp(stop, 0, length);
    if (step === 1) return from < to ? [run(from, to)] : [];
    const out: T[] = [];
    for (let i = from; i < to; i += step) out.push(item(i));
    return out;
  }
  const from = start === undefined ? length - 1 : clamp(start, -1, length - 1);
  const to = stop === undefined ? -1 : clamp(stop, -1, length - 1);
  const out: T[] = [];
  for (let i = from; i > to; i += step) out.push(item(i));
  return out;
}
