// A JSON Schema validator for the subset the system description's schema uses
// (system.schema.json; draft 2020-12 keywords): type, enum, pattern, minLength,
// minimum, maximum, minItems, maxItems, items, properties, required, additionalProperties,
// propertyNames, maxProperties and local $ref ("#/$defs/NAME"). Annotations (title,
// description, $schema) are ignored; any other keyword is refused when the schema is
// read, so the schema cannot promise a check this code does not make.
//
// Errors name the bad field as a path (`kernels[1].memory`), the way a user would look
// for it in the file; a missing required field is named by the path it should be at.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SchemaError {
  path: string;
  message: string;
}

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: Json[];
  pattern?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  maxProperties?: number;
  $defs?: Record<string, Schema>;
}

const CHECKED = new Set([
  "$ref", "type", "enum", "pattern", "minLength", "minimum", "maximum", "minItems", "maxItems", "items", "properties", "required",
  "additionalProperties", "propertyNames", "maxProperties", "$defs",
]);
const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "default"]);

/** A JSON value's type as JSON Schema names it. */
function typeOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  const name = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path === "" ? name : `${path}.${name}`;
}

export class JsonSchema {
  readonly #root: Schema;
  readonly #patterns = new Map<string, RegExp>();

  /** Throws TypeError when the schema uses a keyword this validator does not check. */
  constructor(schema: Json) {
    this.#root = schema as Schema;
    this.#audit(schema, "#");
  }

  /** Every violation of `value`, in document order; empty when it is valid. */
  validate(value: Json): SchemaError[] {
    const errors: SchemaError[] = [];
    this.#check(this.#root, value, "", errors);
    return errors;
  }

  #audit(s: Json, at: string): void {
    if (typeof s !== "object" || s === null || Array.isArray(s)) throw new TypeError(`Cannot use schema: ${at} is not an object`);
    for (const [key, sub] of Object.entries(s)) {
      if (ANNOTATIONS.has(key)) continue;
      if (!CHECKED.has(key)) throw new TypeError(`Cannot use schema: ${at} has keyword ${key}, which the validator does not check`);
      if (key === "items" || key === "propertyNames" || (key === "additionalProperties" && typeof sub !== "boolean")) this.#audit(sub, `${at}/${key}`);
      if (key === "properties" || key === "$defs") for (const [name, def] of Object.entries(sub as object)) this.#audit(def as Json, `${at}/${key}/${name}`);
      if (key === "pattern") this.#patterns.set(sub as string, new RegExp(sub as string, "u"));
    }
  }

  #resolve(ref: string): Schema {
    const m = /^#\/\$defs\/([\w-]+)$/.exec(ref);
    const def = m ? this.#root.$defs?.[m[1]!] : undefined;
    if (!def) throw new TypeError(`Cannot use schema: unknown reference ${ref}`);
    return def;
  }

  #check(schema: Schema, v: Json, path: string, errors: SchemaError[]): void {
    const fail = (message: string): void => void errors.push({ path: path === "" ? "(top)" : path, message });
    if (schema.$ref !== undefined) {
      const before = errors.length;
      this.#check(this.#resolve(schema.$ref), v, path, errors);
      if (errors.length > before) return;
    }
    const t = typeOf(v);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.includes(t) && !(t === "integer" && types.includes("number"))) return fail(`must be ${types.join(" or ")}, not ${t}`);
    }
    if (schema.enum !== undefined && !schema.enum.some((e) => e === v)) return fail(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    if (typeof v === "string") {
      if (schema.minLength !== undefined && v.length < schema.minLength) fail(`must not be shorter than ${schema.minLength}`);
      if (schema.pattern !== undefined && !this.#patterns.get(schema.pattern)!.test(v)) fail(`${JSON.stringify(v)} does not match ${schema.pattern}`);
    } else if (typeof v === "number") {
      if (schema.minimum !== undefined && v < schema.minimum) fail(`must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) fail(`must be at most ${schema.maximum}`);
    } else if (Array.isArray(v)) {
      if (schema.minItems !== undefined && v.length < schema.minItems) fail(`must have at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`);
      if (schema.maxItems !== undefined && v.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
      if (schema.items !== undefined) v.forEach((item, i) => this.#check(schema.items!, item, join(path, i), errors));
    } else if (t === "object") this.#checkObject(schema, v as { [key: string]: Json }, path, errors, fail);
  }

  #checkObject(schema: Schema, v: { [key: string]: Json }, path: string, errors: SchemaError[], fail: (m: string) => void): void {
    const keys = Object.keys(v);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) fail(`must have at most ${schema.maxProperties} propert${schema.maxProperties === 1 ? "y" : "ies"}`);
    for (const name of schema.required ?? []) if (!(name in v)) errors.push({ path: join(path, name), message: "is required" });
    for (const key of keys) {
      const at = join(path, key);
      if (schema.propertyNames !== undefined) this.#check(schema.propertyNames, key, at, errors);
      const sub = schema.properties?.[key];
      if (sub !== undefined) this.#check(sub, v[key]!, at, errors);
      else if (schema.additionalProperties === false) errors.push({ path: at, message: "is not a known field" });
      else if (typeof schema.additionalProperties === "object") this.#check(schema.additionalProperties, v[key]!, at, errors);
    }
  }
}
