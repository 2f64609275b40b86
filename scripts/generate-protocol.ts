/**
 * Generates the Kafka protocol codecs in src/protocol from Apache Kafka's message schemas
 * (the *Request.json / *Response.json files of clients/src/main/resources/common/message).
 *
 *   npm run gen:protocol                       # specs from $KAFKA_MESSAGE_SPECS or ../shared/kafka-message-specs (beside the repository)
 *   node --import tsx scripts/generate-protocol.ts --specs DIR --out DIR
 *
 * Writes:
 *   src/protocol/messages/<message>.ts   one file per request/response: interfaces, straight-line
 *                                        decode/encode functions per wire layout, version dispatch
 *   src/protocol/messages/index.ts       barrel + dispatch by api key
 *   src/protocol/api-keys.ts             api key <-> name, version ranges, flexible versions
 *   src/protocol/errors.ts               Kafka's error table (from scripts/kafka-errors.json)
 *
 * The schema is interpreted here, at generation time only: the generated code contains no field
 * descriptors, no closures per field and no version checks inside a layout. Semantics follow Kafka's
 * own generator (generator/src/main/java/org/apache/kafka/message/MessageDataGenerator.java):
 * defaults for fields absent from a version, tagged fields written only when not default (in tag
 * order), unknown tags skipped on read, non-default values of non-ignorable fields absent from the
 * version written rejected with UNSUPPORTED_VERSION, ignorable ones dropped.
 *
 * Output is deterministic (sorted inputs, no timestamps); test/protocol/generator.test.ts checks that
 * the committed files are exactly what this script produces.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(SCRIPT_DIR, '..');
export const DEFAULT_SPECS_DIR =
  process.env.KAFKA_MESSAGE_SPECS ?? fileURLToPath(new URL('../../shared/kafka-message-specs', import.meta.url));
export const ERRORS_DATA = join(SCRIPT_DIR, 'kafka-errors.json');

// ---------------------------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------------------------

/** A version range; `hi` is Infinity for open ranges ("3+"). null means "none". */
export type Range = { lo: number; hi: number } | null;

export function parseRange(s: string | undefined, dflt: Range): Range {
  if (s === undefined) return dflt;
  const t = s.trim();
  if (t === 'none' || t === '') return null;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range "${s}"`);
}

export function inRange(r: Range, v: number): boolean {
  return r !== null && v >= r.lo && v <= r.hi;
}

function rangeText(r: Range): string {
  if (r === null) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  if (r.lo === r.hi) return `${r.lo}`;
  return `${r.lo}-${r.hi}`;
}

const PRIMITIVES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'uuid',
  'string',
  'bytes',
  'records',
] as const;
type Primitive = (typeof PRIMITIVES)[number];

export type FType =
  | { kind: 'prim'; name: Primitive }
  | { kind: 'array'; elem: FType }
  | { kind: 'struct'; name: string };

function parseType(t: string): FType {
  if (t.startsWith('[]')) {
    const elem = parseType(t.slice(2));
    if (elem.kind === 'array') throw new Error(`nested arrays are not supported: ${t}`);
    if (elem.kind === 'prim' && elem.name === 'records') throw new Error(`arrays of records are not supported`);
    return { kind: 'array', elem };
  }
  if ((PRIMITIVES as readonly string[]).includes(t)) return { kind: 'prim', name: t as Primitive };
  if (/^[A-Z][A-Za-z0-9]*$/.test(t)) return { kind: 'struct', name: t };
  throw new Error(`unknown field type ${t}`);
}

export interface Field {
  name: string;
  type: FType;
  typeText: string;
  versions: Range;
  nullable: Range;
  tagged: Range;
  tag: number | null;
  default: string | null;
  ignorable: boolean;
  about: string;
  flexibleOverride: Range | undefined;
  fields: Field[] | null;
}

export interface StructDef {
  name: string;
  versions: Range;
  fields: Field[];
}

export interface MessageSpec {
  file: string;
  apiKey: number;
  type: 'request' | 'response';
  name: string;
  valid: { lo: number; hi: number };
  flexible: Range;
  fields: Field[];
  commonStructs: StructDef[];
  latestVersionUnstable: boolean;
  deprecatedVersions: Range;
  listeners: string[];
}

/** Removes // comments (outside strings) so the file parses as JSON. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function parseField(j: any, where: string): Field {
  const type = parseType(String(j.type));
  const f: Field = {
    name: String(j.name),
    type,
    typeText: String(j.type),
    versions: parseRange(j.versions, null),
    nullable: parseRange(j.nullableVersions, null),
    tagged: parseRange(j.taggedVersions, null),
    tag: typeof j.tag === 'number' ? j.tag : null,
    default: j.default === undefined ? null : String(j.default),
    ignorable: j.ignorable === true,
    about: j.about === undefined ? '' : String(j.about),
    flexibleOverride: j.flexibleVersions === undefined ? undefined : parseRange(j.flexibleVersions, null),
    fields: Array.isArray(j.fields) ? j.fields.map((x: any) => parseField(x, `${where}.${j.name}`)) : null,
  };
  if (f.versions === null && j.versions !== 'none') throw new Error(`${where}.${f.name}: no versions`);
  if ((f.tag === null) !== (f.tagged === null)) throw new Error(`${where}.${f.name}: tag without taggedVersions`);
  if (f.nullable !== null) {
    const t = f.type;
    const ok = t.kind !== 'prim' || ['string', 'bytes', 'records'].includes(t.name);
    if (!ok) throw new Error(`${where}.${f.name}: type ${f.typeText} cannot be nullable`);
  }
  if (f.type.kind === 'prim' && f.type.name === 'records' && f.tag !== null) {
    throw new Error(`${where}.${f.name}: records cannot be tagged`);
  }
  return f;
}

export function loadSpec(path: string, file: string): MessageSpec {
  const j = JSON.parse(stripJsonComments(readFileSync(path, 'utf8')));
  const valid = parseRange(j.validVersions, null);
  if (valid === null || valid.hi === Infinity) throw new Error(`${file}: validVersions must be a closed range`);
  return {
    file,
    apiKey: Number(j.apiKey),
    type: j.type,
    name: String(j.name),
    valid,
    flexible: parseRange(j.flexibleVersions, null),
    fields: (j.fields ?? []).map((x: any) => parseField(x, j.name)),
    commonStructs: (j.commonStructs ?? []).map((c: any) => ({
      name: String(c.name),
      versions: parseRange(c.versions, null),
      fields: c.fields.map((x: any) => parseField(x, `${j.name}.${c.name}`)),
    })),
    latestVersionUnstable: j.latestVersionUnstable === true,
    deprecatedVersions: parseRange(j.deprecatedVersions, null),
    listeners: Array.isArray(j.listeners) ? j.listeners.map(String) : [],
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function loadSpecs(dir: string): MessageSpec[] {
  const files = readdirSync(dir)
    .filter((f) => /(Request|Response)\.json$/.test(f))
    .sort();
  return files.map((f) => loadSpec(join(dir, f), f));
}

function sourceNote(dir: string): string {
  const p = join(dir, 'SOURCE.md');
  if (!existsSync(p)) return "Apache Kafka's message schemas";
  const text = readFileSync(p, 'utf8');
  const commit = /commit ([0-9a-f]{40})/.exec(text)?.[1];
  const version = /version ([0-9A-Za-z.-]+)/.exec(text)?.[1];
  return (
    "Apache Kafka's message schemas (clients/src/main/resources/common/message" +
    (version ? `, Kafka ${version}` : '') +
    (commit ? `, commit ${commit}` : '') +
    ')'
  );
}

// ---------------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------------

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await arguments eval undefined NaN ' +
    'Infinity r w d v nt tag end'
  ).split(' '),
);

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function propName(f: Field): string {
  return lowerFirst(f.name);
}

function localName(f: Field): string {
  const n = propName(f);
  return RESERVED.has(n) ? `${n}_` : n;
}

function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function q(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function docText(s: string): string {
  return s.replace(/\*\//g, '*\\/');
}

// ---------------------------------------------------------------------------------------------
// Per-message code generation
// ---------------------------------------------------------------------------------------------

interface StructInfo {
  def: StructDef;
  tsName: string;
  /** Message versions in which this struct is on the wire. */
  reach: Set<number>;
  /** Path for error messages, e.g. ProduceRequest.TopicData. */
  path: string;
}

class Code {
  lines: string[] = [];
  private ind = 0;
  line(s = ''): this {
    this.lines.push(s === '' ? '' : '  '.repeat(this.ind) + s);
    return this;
  }
  open(s: string): this {
    this.line(s);
    this.ind++;
    return this;
  }
  close(s = '}'): this {
    this.ind--;
    this.line(s);
    return this;
  }
  dedent(): this {
    this.ind--;
    return this;
  }
  mid(s: string): this {
    this.ind--;
    this.line(s);
    this.ind++;
    return this;
  }
  text(): string {
    return this.lines.join('\n');
  }
}

class MessageGen {
  readonly spec: MessageSpec;
  readonly structs = new Map<string, StructInfo>();
  readonly top: StructInfo;
  private readonly imports = new Set<string>();
  private readonly functions: string[] = [];
  private readonly decoders = new Map<string, string>();
  private readonly encoders = new Map<string, string>();
  private readonly needIsDefault = new Set<string>();
  private readonly needDefault = new Set<string>();
  private tmp = 0;

  constructor(spec: MessageSpec) {
    this.spec = spec;
    this.top = {
      def: { name: spec.name, versions: spec.valid, fields: spec.fields },
      tsName: spec.name,
      reach: new Set(),
      path: spec.name,
    };
    this.registerStructs(spec.fields, spec.name);
    for (const cs of spec.commonStructs) {
      if (!this.structs.has(cs.name)) this.addStruct(cs, `${spec.name}.${cs.name}`);
      this.registerStructs(cs.fields, `${spec.name}.${cs.name}`);
    }
    this.checkNames();
    for (let v = spec.valid.lo; v <= spec.valid.hi; v++) this.walkReach(this.top, v);
  }

  private tsStructName(name: string): string {
    const msg = this.spec.name;
    if (name.startsWith(msg)) return name;
    const base = msg.replace(/(Request|Response)$/, '');
    if (name.startsWith(base) && /^[A-Z]/.test(name.slice(base.length))) return msg + name.slice(base.length);
    return msg + name;
  }

  private addStruct(def: StructDef, path: string): void {
    this.structs.set(def.name, { def, tsName: this.tsStructName(def.name), reach: new Set(), path });
  }

  private registerStructs(fields: Field[], path: string): void {
    for (const f of fields) {
      const sname = structName(f.type);
      if (sname === null) continue;
      if (f.fields !== null) {
        if (this.structs.has(sname)) throw new Error(`${this.spec.name}: struct ${sname} defined twice`);
        this.addStruct({ name: sname, versions: f.versions, fields: f.fields }, `${path}.${f.name}`);
        this.registerStructs(f.fields, `${path}.${f.name}`);
      }
    }
  }

  private checkNames(): void {
    const seen = new Set<string>([this.top.tsName]);
    for (const s of this.structs.values()) {
      if (seen.has(s.tsName)) throw new Error(`${this.spec.name}: type name ${s.tsName} used twice`);
      seen.add(s.tsName);
    }
  }

  struct(name: string): StructInfo {
    const s = this.structs.get(name);
    if (!s) throw new Error(`${this.spec.name}: unknown struct ${name}`);
    return s;
  }

  private walkReach(s: StructInfo, v: number): void {
    if (s.reach.has(v)) return;
    s.reach.add(v);
    for (const f of s.def.fields) {
      const sn = structName(f.type);
      if (sn !== null && inRange(f.versions, v)) this.walkReach(this.struct(sn), v);
    }
  }

  // ---- version facts ----

  private flexible(v: number): boolean {
    return inRange(this.spec.flexible, v);
  }

  private fieldFlexible(f: Field, v: number): boolean {
    return f.flexibleOverride !== undefined ? inRange(f.flexibleOverride, v) : this.flexible(v);
  }

  private present(f: Field, v: number): boolean {
    return inRange(f.versions, v);
  }

  private taggedAt(f: Field, v: number): boolean {
    return inRange(f.versions, v) && inRange(f.tagged, v);
  }

  /** Required in the TS interface: on the wire, untagged, in every version the struct appears in. */
  private required(s: StructInfo, f: Field): boolean {
    for (const v of s.reach) if (!this.present(f, v) || this.taggedAt(f, v)) return false;
    return s.reach.size > 0;
  }

  // ---- types and defaults ----

  tsType(f: Field): string {
    const base = this.tsBase(f.type);
    const isRecords = f.type.kind === 'prim' && f.type.name === 'records';
    return f.nullable !== null || isRecords ? `${base} | null` : base;
  }

  private tsBase(t: FType): string {
    if (t.kind === 'array') return `${this.tsBase(t.elem)}[]`;
    if (t.kind === 'struct') return this.struct(t.name).tsName;
    switch (t.name) {
      case 'bool':
        return 'boolean';
      case 'int64':
        return 'bigint';
      case 'uuid':
      case 'string':
        return 'string';
      case 'bytes':
      case 'records':
        return 'Buffer';
      default:
        return 'number';
    }
  }

  private nullDefault(f: Field): boolean {
    return f.default === 'null';
  }

  /** Default value expression (fresh objects for arrays and structs). */
  defaultExpr(f: Field): string {
    const t = f.type;
    if (f.default === 'null') {
      if (f.nullable === null || !rangeCovers(f.nullable, f.versions)) {
        throw new Error(`${this.spec.name}.${f.name}: null default but not nullable in all versions`);
      }
      return 'null';
    }
    if (t.kind === 'array') return '[]';
    if (t.kind === 'struct') {
      this.needDefault.add(t.name);
      return `default${this.struct(t.name).tsName}()`;
    }
    const d = f.default;
    switch (t.name) {
      case 'bool':
        if (d === null || d.toLowerCase() === 'false') return 'false';
        if (d.toLowerCase() === 'true') return 'true';
        throw new Error(`bad bool default ${d}`);
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32': {
        if (d === null || d === '') return '0';
        const n = parseIntDefault(d);
        const [lo, hi] = INT_RANGES[t.name];
        if (n < lo || n > hi) throw new Error(`${this.spec.name}.${f.name}: default ${d} out of range`);
        return String(n);
      }
      case 'int64': {
        if (d === null || d === '') return '0n';
        return `${parseBigIntDefault(d)}n`;
      }
      case 'float64':
        return d === null || d === '' ? '0' : String(Number(d));
      case 'uuid':
        return q(d === null || d === '' ? ZERO_UUID : d);
      case 'string':
        return q(d ?? '');
      case 'bytes':
        if (d !== null && d !== '') throw new Error(`bad bytes default ${d}`);
        this.imports.add('EMPTY_BYTES');
        return 'EMPTY_BYTES';
      case 'records':
        return 'null';
    }
  }

  /**
   * Condition (TS expression) that `x` differs from the field's default, Kafka's
   * generateNonDefaultValueCheck. `x` is never undefined here. With `nullableAware`, null counts
   * as a value (different from a non-null default).
   */
  private nonDefault(f: Field, x: string, nullableAware: boolean): string {
    const t = f.type;
    const nullableType = this.tsType(f).endsWith('| null');
    if (this.nullDefault(f) || (t.kind === 'prim' && t.name === 'records')) return `${x} !== null`;
    let core: string;
    if (t.kind === 'array' || (t.kind === 'prim' && t.name === 'bytes')) core = `${x}.length !== 0`;
    else if (t.kind === 'struct') {
      this.needIsDefault.add(t.name);
      core = `!isDefault${this.struct(t.name).tsName}(${x})`;
    } else return `${x} !== ${this.defaultExpr(f)}`;
    if (!nullableType) return core;
    return nullableAware ? `(${x} === null || ${core})` : `(${x} !== null && ${core})`;
  }

  // ---- sizes ----

  private minSize(t: FType, v: number, flex: boolean): number {
    if (t.kind === 'array') return flex ? 1 : 4;
    if (t.kind === 'struct') return this.structMinSize(this.struct(t.name), v);
    switch (t.name) {
      case 'bool':
      case 'int8':
        return 1;
      case 'int16':
      case 'uint16':
        return 2;
      case 'int32':
      case 'uint32':
        return 4;
      case 'int64':
      case 'float64':
        return 8;
      case 'uuid':
        return 16;
      case 'string':
        return flex ? 1 : 2;
      case 'bytes':
      case 'records':
        return flex ? 1 : 4;
    }
  }

  private structMinSize(s: StructInfo, v: number): number {
    let n = this.flexible(v) ? 1 : 0;
    for (const f of s.def.fields) {
      if (!this.present(f, v) || this.taggedAt(f, v)) continue;
      if (f.type.kind === 'struct' && inRange(f.nullable, v)) n += 1;
      else n += this.minSize(f.type, v, this.fieldFlexible(f, v));
    }
    return n;
  }

  // ---- decoding ----

  private readPrim(name: Primitive, nullable: boolean, flex: boolean): string {
    switch (name) {
      case 'string':
        return flex
          ? nullable
            ? 'r.compactNullableString()'
            : 'r.compactString()'
          : nullable
            ? 'r.nullableString()'
            : 'r.string()';
      case 'bytes':
      case 'records':
        return flex
          ? nullable
            ? 'r.compactNullableBytes()'
            : 'r.compactBytes()'
          : nullable
            ? 'r.nullableBytes()'
            : 'r.bytes()';
      default:
        return `r.${name}()`;
    }
  }

  /** Statements that read field f at version v; returns the expression holding the value. */
  private readField(c: Code, s: StructInfo, f: Field, v: number, tagged: boolean): string {
    const t = f.type;
    const flex = this.fieldFlexible(f, v);
    const nullable = inRange(f.nullable, v);
    if (t.kind === 'prim') return this.readPrim(t.name, nullable, flex);
    if (t.kind === 'struct') {
      const fn = this.decoder(this.struct(t.name), v);
      if (!nullable) return `${fn}(r)`;
      return tagged ? `r.uvarint() === 0 ? null : ${fn}(r)` : `r.int8() < 0 ? null : ${fn}(r)`;
    }
    const k = this.tmp++;
    const elem = t.elem;
    const elemType = elem.kind === 'struct' ? `Decoded<${this.tsBase(elem)}>` : this.tsBase(elem);
    const min = Math.max(1, this.minSize(elem, v, flex));
    const elemRead =
      elem.kind === 'struct'
        ? `${this.decoder(this.struct(elem.name), v)}(r)`
        : elem.kind === 'prim'
          ? this.readPrim(elem.name, false, flex)
          : '';
    c.line(`const n${k} = ${flex ? 'r.compactArrayLength' : 'r.arrayLength'}(${min});`);
    if (!nullable) {
      c.line(`if (n${k} < 0) throw r.nullField(${q(`${s.path}.${f.name}`)});`);
      c.line(`const a${k}: ${elemType}[] = [];`);
      c.line(`for (let i = 0; i < n${k}; i++) a${k}.push(${elemRead});`);
      return `a${k}`;
    }
    c.line(`let a${k}: ${elemType}[] | null = null;`);
    c.open(`if (n${k} >= 0) {`);
    c.line(`const b${k}: ${elemType}[] = [];`);
    c.line(`for (let i = 0; i < n${k}; i++) b${k}.push(${elemRead});`);
    c.line(`a${k} = b${k};`);
    c.close();
    return `a${k}`;
  }

  /** Name of the decode function for struct s at version v (shared by versions with the same layout). */
  decoder(s: StructInfo, v: number): string {
    const c = new Code();
    const saveTmp = this.tmp;
    this.tmp = 0;
    c.open(`function @NAME@(r: Reader): Decoded<${s.tsName}> {`);
    const values = new Map<Field, string>();
    const taggedFields: Field[] = [];
    for (const f of s.def.fields) {
      if (!this.present(f, v)) {
        values.set(f, this.defaultExpr(f));
      } else if (this.taggedAt(f, v)) {
        taggedFields.push(f);
        const l = localName(f);
        c.line(`let ${l}: Decoded<${s.tsName}>['${propName(f)}'] = ${this.defaultExpr(f)};`);
        values.set(f, l);
      } else {
        const expr = this.readField(c, s, f, v, false);
        const l = localName(f);
        c.line(`const ${l} = ${expr};`);
        values.set(f, l);
      }
    }
    if (this.flexible(v)) {
      if (taggedFields.length === 0) {
        c.line('r.skipTaggedFields();');
      } else {
        taggedFields.sort((a, b) => a.tag! - b.tag!);
        c.line('const nt = r.uvarint();');
        c.open('for (let i = 0; i < nt; i++) {');
        c.line('const tag = r.uvarint();');
        c.line('const end = r.taggedFieldEnd();');
        c.open('switch (tag) {');
        for (const f of taggedFields) {
          c.open(`case ${f.tag}: {`);
          const expr = this.readField(c, s, f, v, true);
          c.line(`${localName(f)} = ${expr};`);
          c.line(`r.endTaggedField(end, ${f.tag});`);
          c.line('break;');
          c.close();
        }
        c.open('default:');
        c.line('r.pos = end;');
        c.dedent();
        c.close();
        c.close();
      }
    }
    const props = s.def.fields.map((f) => {
      const p = propName(f);
      const val = values.get(f)!;
      return p === val ? p : `${p}: ${val}`;
    });
    c.line(`return { ${props.join(', ')} };`);
    c.close();
    this.tmp = saveTmp;
    return this.register(this.decoders, c.text(), `decode${s.tsName}V${v}`);
  }

  private register(map: Map<string, string>, body: string, name: string): string {
    const existing = map.get(body);
    if (existing !== undefined) return existing;
    map.set(body, name);
    this.functions.push(body.replace('@NAME@', name));
    return name;
  }

  // ---- encoding ----

  private writePrim(name: Primitive, nullable: boolean, flex: boolean, x: string): string {
    switch (name) {
      case 'string':
        return flex
          ? nullable
            ? `w.compactNullableString(${x})`
            : `w.compactString(${x})`
          : nullable
            ? `w.nullableString(${x})`
            : `w.string(${x})`;
      case 'bytes':
      case 'records':
        return flex
          ? nullable
            ? `w.compactNullableBytes(${x})`
            : `w.compactBytes(${x})`
          : nullable
            ? `w.nullableBytes(${x})`
            : `w.bytes(${x})`;
      default:
        return `w.${name}(${x})`;
    }
  }

  /** Statements writing value `x` (a local, never undefined) of field f at version v. */
  private writeField(c: Code, s: StructInfo, f: Field, v: number, x: string, tagged: boolean): void {
    const t = f.type;
    const flex = this.fieldFlexible(f, v);
    const nullable = inRange(f.nullable, v);
    if (!nullable && this.tsType(f).endsWith('| null')) {
      c.line(`if (${x} === null) throw Writer.nullField(${q(`${s.path}.${f.name}`)});`);
    }
    if (t.kind === 'prim') {
      c.line(`${this.writePrim(t.name, nullable, flex, x)};`);
      return;
    }
    if (t.kind === 'struct') {
      const fn = this.encoder(this.struct(t.name), v);
      if (!nullable) {
        c.line(`${fn}(w, ${x}, v);`);
        return;
      }
      c.open(`if (${x} === null) {`);
      c.line(tagged ? 'w.uvarint(0);' : 'w.int8(-1);');
      c.mid('} else {');
      c.line(tagged ? 'w.uvarint(1);' : 'w.int8(1);');
      c.line(`${fn}(w, ${x}, v);`);
      c.close();
      return;
    }
    const elem = t.elem;
    const k = this.tmp++;
    const e = `${x}[i${k}]!`;
    const writeElem =
      elem.kind === 'struct'
        ? `${this.encoder(this.struct(elem.name), v)}(w, ${e}, v);`
        : elem.kind === 'prim'
          ? `${this.writePrim(elem.name, false, flex, e)};`
          : '';
    if (nullable) {
      c.open(`if (${x} === null) {`);
      c.line(flex ? 'w.uvarint(0);' : 'w.arrayLength(-1);');
      c.mid('} else {');
    }
    c.line(`${flex ? 'w.compactArrayLength' : 'w.arrayLength'}(${x}.length);`);
    c.line(`for (let i${k} = 0; i${k} < ${x}.length; i${k}++) ${writeElem}`);
    if (nullable) c.close();
  }

  encoder(s: StructInfo, v: number): string {
    const c = new Code();
    const saveTmp = this.tmp;
    this.tmp = 0;
    c.open(`function @NAME@(w: Writer, d: ${s.tsName}, v: number): void {`);
    const req = (f: Field): boolean => this.required(s, f);
    let local = 0;
    const bind = (f: Field): string => {
      const l = `x${local++}`;
      const dflt = this.defaultExpr(f);
      if (req(f)) c.line(`const ${l} = d.${propName(f)};`);
      else c.line(`const ${l} = d.${propName(f)} === undefined ? ${dflt} : d.${propName(f)};`);
      return l;
    };
    const taggedFields: Field[] = [];
    for (const f of s.def.fields) {
      if (!this.present(f, v)) {
        if (!f.ignorable) {
          const l = `u${local++}`;
          c.line(`const ${l} = d.${propName(f)};`);
          c.line(
            `if (${l} !== undefined && ${this.nonDefault(f, l, true)}) ` +
              `throw unsupportedField(${this.spec.apiKey}, v, ${q(`${s.path}.${f.name}`)}, ${q(rangeText(f.versions))});`,
          );
          this.imports.add('unsupportedField');
        }
        continue;
      }
      if (this.taggedAt(f, v)) {
        taggedFields.push(f);
        continue;
      }
      const t = f.type;
      if (t.kind === 'prim' && req(f) && (inRange(f.nullable, v) || !this.tsType(f).endsWith('| null'))) {
        c.line(`${this.writePrim(t.name, inRange(f.nullable, v), this.fieldFlexible(f, v), `d.${propName(f)}`)};`);
        continue;
      }
      const x = bind(f);
      this.writeField(c, s, f, v, x, false);
    }
    if (this.flexible(v)) {
      if (taggedFields.length === 0) {
        c.line('w.uvarint(0);');
      } else {
        taggedFields.sort((a, b) => a.tag! - b.tag!);
        const locals: string[] = [];
        const flags: string[] = [];
        for (const f of taggedFields) {
          const l = `t${local}`;
          const k = `k${local++}`;
          c.line(`const ${l} = d.${propName(f)};`);
          // Written when not default; a null in a nullable field with a non-null default is written (as null).
          c.line(`const ${k} = ${l} !== undefined && ${this.nonDefault(f, l, inRange(f.nullable, v))};`);
          locals.push(l);
          flags.push(k);
        }
        c.line(`w.uvarint(${flags.map((k) => `+${k}`).join(' + ')});`);
        taggedFields.forEach((f, i) => {
          c.open(`if (${flags[i]}) {`);
          this.writeTagged(c, s, f, v, locals[i]!);
          c.close();
        });
      }
    }
    c.close();
    this.tmp = saveTmp;
    return this.register(this.encoders, c.text(), `encode${s.tsName}V${v}`);
  }

  private writeTagged(c: Code, s: StructInfo, f: Field, v: number, x: string): void {
    const t = f.type;
    const fixed: Partial<Record<Primitive, number>> = {
      bool: 1,
      int8: 1,
      int16: 2,
      uint16: 2,
      int32: 4,
      uint32: 4,
      int64: 8,
      float64: 8,
      uuid: 16,
    };
    if (t.kind === 'prim' && fixed[t.name] !== undefined) {
      c.line(`w.uvarint(${f.tag});`);
      c.line(`w.uvarint(${fixed[t.name]});`);
      c.line(`${this.writePrim(t.name, false, true, x)};`);
      return;
    }
    c.line(`const m = w.beginTaggedField(${f.tag});`);
    this.writeField(c, s, f, v, x, true);
    c.line('w.endTaggedField(m);');
  }

  // ---- default factories and default checks ----

  private emitDefaults(): string[] {
    const out: string[] = [];
    // Defaults may pull in further defaults: iterate to a fixed point, emit in struct order.
    let size = -1;
    while (size !== this.needDefault.size + this.needIsDefault.size) {
      size = this.needDefault.size + this.needIsDefault.size;
      for (const n of [...this.needDefault]) for (const f of this.struct(n).def.fields) this.defaultExpr(f);
      for (const n of [...this.needIsDefault]) for (const f of this.struct(n).def.fields) this.isDefaultCheck(f, 'x');
    }
    for (const s of this.structs.values()) {
      if (this.needDefault.has(s.def.name)) {
        const props = s.def.fields.map((f) => `${propName(f)}: ${this.defaultExpr(f)}`);
        out.push(
          [
            `/** A ${s.tsName} with every field at its default. */`,
            `function default${s.tsName}(): Decoded<${s.tsName}> {`,
            `  return { ${props.join(', ')} };`,
            '}',
          ].join('\n'),
        );
      }
      if (this.needIsDefault.has(s.def.name)) {
        const checks = s.def.fields.map((f) => this.isDefaultCheck(f, `x.${propName(f)}`));
        out.push(
          [
            `/** True when every field of x is at its default (Kafka's equals(new ${s.def.name}())). */`,
            `function isDefault${s.tsName}(x: ${s.tsName}): boolean {`,
            `  return (`,
            checks.map((ck) => `    ${ck}`).join(' &&\n'),
            '  );',
            '}',
          ].join('\n'),
        );
      }
    }
    return out;
  }

  /** `x` (possibly undefined) equals the field's default. */
  private isDefaultCheck(f: Field, x: string): string {
    const t = f.type;
    const nullableType = this.tsType(f).endsWith('| null');
    let core: string;
    if (this.nullDefault(f) || (t.kind === 'prim' && t.name === 'records')) core = `${x} === null`;
    else if (t.kind === 'array' || (t.kind === 'prim' && t.name === 'bytes')) {
      core = nullableType ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`;
    } else if (t.kind === 'struct') {
      this.needIsDefault.add(t.name);
      const fn = `isDefault${this.struct(t.name).tsName}(${x})`;
      core = nullableType ? `(${x} !== null && ${fn})` : fn;
    } else core = `${x} === ${this.defaultExpr(f)}`;
    return `(${x} === undefined || ${core})`;
  }

  // ---- file ----

  file(note: string): string {
    const spec = this.spec;
    const decodeCases: string[] = [];
    const encodeCases: string[] = [];
    const decGroups = new Map<string, number[]>();
    const encGroups = new Map<string, number[]>();
    for (let v = spec.valid.lo; v <= spec.valid.hi; v++) {
      const d = this.decoder(this.top, v);
      const e = this.encoder(this.top, v);
      if (!decGroups.has(d)) decGroups.set(d, []);
      decGroups.get(d)!.push(v);
      if (!encGroups.has(e)) encGroups.set(e, []);
      encGroups.get(e)!.push(v);
    }
    for (const [fn, vs] of decGroups) {
      decodeCases.push(`    ${vs.map((v) => `case ${v}:`).join(' ')}`);
      decodeCases.push(`      return ${fn}(r);`);
    }
    for (const [fn, vs] of encGroups) {
      encodeCases.push(`    ${vs.map((v) => `case ${v}:`).join(' ')}`);
      encodeCases.push(`      ${fn}(w, data, version);`);
      encodeCases.push('      return;');
    }
    const defaults = this.emitDefaults();

    const kind = spec.type === 'request' ? 'request' : 'response';
    const out: string[] = [];
    out.push(
      `// GENERATED by scripts/generate-protocol.ts from ${spec.file} of`,
      `// ${note}.`,
      '// Do not edit: change the generator and run `npm run gen:protocol`.',
      '',
    );
    const fromReader = this.imports.has('EMPTY_BYTES') ? 'EMPTY_BYTES, Reader' : 'Reader';
    out.push(`import { ${fromReader} } from '../reader.js';`);
    out.push(`import { Writer } from '../writer.js';`);
    out.push(`import type { Decoded } from '../types.js';`);
    const errs = this.imports.has('unsupportedField')
      ? 'UnsupportedVersionError, unsupportedField'
      : 'UnsupportedVersionError';
    out.push(`import { ${errs} } from '../protocol-error.js';`);
    out.push('');
    // interfaces
    out.push(this.interfaceText(this.top, true));
    for (const s of this.structs.values()) {
      out.push('');
      out.push(this.interfaceText(s, false));
    }
    out.push('');
    out.push(
      `export const ${constName(spec.name)}_VERSIONS = { min: ${spec.valid.lo}, max: ${spec.valid.hi}, ` +
        `firstFlexible: ${spec.flexible === null ? -1 : spec.flexible.lo} } as const;`,
    );
    out.push('');
    out.push(
      `/** Decodes a ${spec.name} body (after the ${kind} header). Throws MalformedMessageError or UnsupportedVersionError. */`,
    );
    out.push(`export function decode${spec.name}(r: Reader, version: number): Decoded<${spec.name}> {`);
    out.push('  switch (version) {');
    out.push(...decodeCases);
    out.push('    default:');
    out.push(`      throw new UnsupportedVersionError(${spec.apiKey}, version);`);
    out.push('  }');
    out.push('}');
    out.push('');
    out.push(
      `/** Encodes a ${spec.name} body (after the ${kind} header). Absent optional fields are written as their defaults. */`,
    );
    out.push(`export function encode${spec.name}(w: Writer, version: number, data: ${spec.name}): void {`);
    out.push('  switch (version) {');
    out.push(...encodeCases);
    out.push('    default:');
    out.push(`      throw new UnsupportedVersionError(${spec.apiKey}, version);`);
    out.push('  }');
    out.push('}');
    for (const d of defaults) {
      out.push('');
      out.push(d);
    }
    for (const fn of this.functions) {
      out.push('');
      out.push(fn);
    }
    out.push('');
    return out.join('\n');
  }

  private interfaceText(s: StructInfo, top: boolean): string {
    const lines: string[] = [];
    if (top) {
      lines.push(
        `/** ${this.spec.name} (api key ${this.spec.apiKey}), versions ${this.spec.valid.lo}-${this.spec.valid.hi}` +
          `${this.spec.flexible ? `, flexible ${rangeText(this.spec.flexible)}` : ''}. */`,
      );
    } else {
      lines.push(`/** ${s.def.name}: ${s.path} (${this.spec.name} versions ${rangeText(rangeOf(s.reach))}). */`);
    }
    lines.push(`export interface ${s.tsName} {`);
    for (const f of s.def.fields) {
      const notes: string[] = [`versions ${rangeText(f.versions)}`];
      if (f.nullable) notes.push(`nullable ${rangeText(f.nullable)}`);
      if (f.tag !== null) notes.push(`tagged ${rangeText(f.tagged)} (tag ${f.tag})`);
      if (f.default !== null) notes.push(`default ${f.default}`);
      else if (f.type.kind === 'prim' && f.type.name === 'records') notes.push('default null');
      if (f.ignorable) notes.push('ignorable');
      const about = f.about ? `${docText(f.about.trim())} ` : '';
      lines.push(`  /** ${about}(${notes.join(', ')}) */`);
      lines.push(`  ${propName(f)}${this.required(s, f) ? '' : '?'}: ${this.tsType(f)};`);
    }
    lines.push('}');
    return lines.join('\n');
  }
}

function structName(t: FType): string | null {
  if (t.kind === 'struct') return t.name;
  if (t.kind === 'array' && t.elem.kind === 'struct') return t.elem.name;
  return null;
}

function rangeCovers(outer: Range, inner: Range): boolean {
  if (inner === null) return true;
  if (outer === null) return false;
  return outer.lo <= inner.lo && outer.hi >= inner.hi;
}

function rangeOf(vs: Set<number>): Range {
  if (vs.size === 0) return null;
  const a = [...vs].sort((x, y) => x - y);
  return { lo: a[0]!, hi: a[a.length - 1]! };
}

function constName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const INT_RANGES: Record<'int8' | 'int16' | 'uint16' | 'int32' | 'uint32', [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function parseIntDefault(d: string): number {
  const m = /^(-?)0x([0-9a-fA-F]+)$/.exec(d);
  const n = m ? (m[1] ? -1 : 1) * parseInt(m[2]!, 16) : Number(d);
  if (!Number.isInteger(n)) throw new Error(`bad integer default ${d}`);
  return n;
}

function parseBigIntDefault(d: string): string {
  const m = /^(-?)0x([0-9a-fA-F]+)$/.exec(d);
  const n = m ? (m[1] ? -1n : 1n) * BigInt(`0x${m[2]}`) : BigInt(d);
  return n.toString();
}

// ---------------------------------------------------------------------------------------------
// api-keys.ts, messages/index.ts, errors.ts
// ---------------------------------------------------------------------------------------------

interface ApiPair {
  key: number;
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

function pairs(specs: MessageSpec[]): ApiPair[] {
  const byKey = new Map<number, { request?: MessageSpec; response?: MessageSpec }>();
  for (const s of specs) {
    const e = byKey.get(s.apiKey) ?? {};
    if (e[s.type]) throw new Error(`two ${s.type}s for api key ${s.apiKey}`);
    e[s.type] = s;
    byKey.set(s.apiKey, e);
  }
  const out: ApiPair[] = [];
  for (const [key, e] of [...byKey].sort((a, b) => a[0] - b[0])) {
    if (!e.request || !e.response) throw new Error(`api key ${key} lacks a request or a response`);
    const { request, response } = e;
    if (request.valid.lo !== response.valid.lo || request.valid.hi !== response.valid.hi) {
      throw new Error(`${request.name}/${response.name}: different validVersions`);
    }
    if (rangeText(request.flexible) !== rangeText(response.flexible)) {
      throw new Error(`${request.name}/${response.name}: different flexibleVersions`);
    }
    out.push({ key, name: request.name.replace(/Request$/, ''), request, response });
  }
  return out;
}

function apiKeysFile(apis: ApiPair[], note: string): string {
  const out: string[] = [];
  out.push(
    '// GENERATED by scripts/generate-protocol.ts from',
    `// ${note}.`,
    '// Do not edit: change the generator and run `npm run gen:protocol`.',
    '',
    '/** Kafka API keys by name (the message name without Request/Response). */',
    'export const ApiKeys = {',
  );
  for (const a of apis) out.push(`  ${a.name}: ${a.key},`);
  out.push('} as const;');
  out.push('');
  out.push('export type ApiName = keyof typeof ApiKeys;');
  out.push('export type ApiKey = (typeof ApiKeys)[ApiName];');
  out.push('');
  out.push('export interface ApiSpec {');
  out.push('  readonly apiKey: ApiKey;');
  out.push('  readonly name: ApiName;');
  out.push('  /** Lowest and highest version with a codec here (the schema\'s validVersions). */');
  out.push('  readonly minVersion: number;');
  out.push('  readonly maxVersion: number;');
  out.push('  /** Highest version that is not marked unstable (what a broker advertises by default). */');
  out.push('  readonly maxStableVersion: number;');
  out.push('  /** First flexible version (compact encodings, tagged fields, header v2/v1); -1 when none. Open-ended. */');
  out.push('  readonly firstFlexibleVersion: number;');
  out.push('  /** Deprecated versions as written in the schema ("0-2"), or null. */');
  out.push('  readonly deprecatedVersions: string | null;');
  out.push('  /** Listeners that serve this API in Kafka (zkBroker, broker, controller). */');
  out.push('  readonly listeners: readonly string[];');
  out.push('}');
  out.push('');
  out.push('/** Every API with generated codecs, by ascending key. */');
  out.push('export const API_SPECS: readonly ApiSpec[] = [');
  for (const a of apis) {
    const r = a.request;
    const stable = r.latestVersionUnstable ? r.valid.hi - 1 : r.valid.hi;
    out.push(
      `  { apiKey: ${a.key}, name: '${a.name}', minVersion: ${r.valid.lo}, maxVersion: ${r.valid.hi}, ` +
        `maxStableVersion: ${stable}, firstFlexibleVersion: ${r.flexible === null ? -1 : r.flexible.lo}, ` +
        `deprecatedVersions: ${r.deprecatedVersions === null ? 'null' : q(rangeText(r.deprecatedVersions))}, ` +
        `listeners: [${r.listeners.map(q).join(', ')}] },`,
    );
  }
  out.push('];');
  out.push('');
  out.push('const BY_KEY: (ApiSpec | undefined)[] = [];');
  out.push('for (const s of API_SPECS) BY_KEY[s.apiKey] = s;');
  out.push('');
  out.push('/** The spec of an API key, or undefined for a key this build does not know. */');
  out.push('export function apiSpec(apiKey: number): ApiSpec | undefined {');
  out.push('  return apiKey >= 0 && apiKey < BY_KEY.length ? BY_KEY[apiKey] : undefined;');
  out.push('}');
  out.push('');
  out.push('/**');
  out.push(' * Entries for an ApiVersions response: the APIs listed (default: all with codecs here), each up to');
  out.push(' * its highest stable version. Unknown keys are left out.');
  out.push(' */');
  out.push('export function apiVersionsEntries(');
  out.push('  apiKeys?: readonly number[],');
  out.push('): { apiKey: number; minVersion: number; maxVersion: number }[] {');
  out.push('  const specs = apiKeys === undefined ? API_SPECS : apiKeys.map(apiSpec).filter((s): s is ApiSpec => s !== undefined);');
  out.push('  return specs.map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxStableVersion }));');
  out.push('}');
  out.push('');
  out.push('/** Whether a version of an API uses the flexible encoding (also for versions above maxVersion). */');
  out.push('export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {');
  out.push('  const s = apiSpec(apiKey);');
  out.push('  return s !== undefined && s.firstFlexibleVersion >= 0 && apiVersion >= s.firstFlexibleVersion;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

function indexFile(apis: ApiPair[], note: string): string {
  const out: string[] = [];
  out.push(
    '// GENERATED by scripts/generate-protocol.ts from',
    `// ${note}.`,
    '// Do not edit: change the generator and run `npm run gen:protocol`.',
    '',
    "import type { Reader } from '../reader.js';",
    "import type { Writer } from '../writer.js';",
    "import type { Decoded } from '../types.js';",
    "import { UnknownApiKeyError } from '../protocol-error.js';",
  );
  for (const a of apis) {
    for (const s of [a.request, a.response]) {
      out.push(`import { decode${s.name}, encode${s.name}, type ${s.name} } from './${kebab(s.name)}.js';`);
    }
  }
  out.push('');
  for (const a of apis) {
    for (const s of [a.request, a.response]) out.push(`export * from './${kebab(s.name)}.js';`);
  }
  out.push('');
  out.push('/** Request body type by api key. */');
  out.push('export interface RequestTypes {');
  for (const a of apis) out.push(`  ${a.key}: ${a.request.name};`);
  out.push('}');
  out.push('');
  out.push('/** Response body type by api key. */');
  out.push('export interface ResponseTypes {');
  for (const a of apis) out.push(`  ${a.key}: ${a.response.name};`);
  out.push('}');
  out.push('');
  out.push('export type RequestApiKey = keyof RequestTypes;');
  out.push('export type AnyRequestBody = RequestTypes[RequestApiKey];');
  out.push('export type AnyResponseBody = ResponseTypes[RequestApiKey];');
  out.push('');
  for (const dir of ['Request', 'Response'] as const) {
    const types = `${dir}Types`;
    const lower = dir.toLowerCase();
    out.push(`/** Decodes a ${lower} body of any known api key. Throws UnknownApiKeyError, UnsupportedVersionError, MalformedMessageError. */`);
    out.push(
      `export function decode${dir}Body<K extends RequestApiKey>(apiKey: K, apiVersion: number, r: Reader): Decoded<${types}[K]>;`,
    );
    out.push(`export function decode${dir}Body(apiKey: number, apiVersion: number, r: Reader): Decoded<Any${dir}Body>;`);
    out.push(`export function decode${dir}Body(apiKey: number, apiVersion: number, r: Reader): Decoded<Any${dir}Body> {`);
    out.push('  switch (apiKey) {');
    for (const a of apis) {
      const s = dir === 'Request' ? a.request : a.response;
      out.push(`    case ${a.key}:`);
      out.push(`      return decode${s.name}(r, apiVersion);`);
    }
    out.push('    default:');
    out.push('      throw new UnknownApiKeyError(apiKey);');
    out.push('  }');
    out.push('}');
    out.push('');
    out.push(`/** Encodes a ${lower} body of any known api key. */`);
    out.push(
      `export function encode${dir}Body<K extends RequestApiKey>(apiKey: K, apiVersion: number, w: Writer, body: ${types}[K]): void;`,
    );
    out.push(`export function encode${dir}Body(apiKey: number, apiVersion: number, w: Writer, body: Any${dir}Body): void;`);
    out.push(`export function encode${dir}Body(apiKey: number, apiVersion: number, w: Writer, body: Any${dir}Body): void {`);
    out.push('  switch (apiKey) {');
    for (const a of apis) {
      const s = dir === 'Request' ? a.request : a.response;
      out.push(`    case ${a.key}:`);
      out.push(`      return encode${s.name}(w, apiVersion, body as ${s.name});`);
    }
    out.push('    default:');
    out.push('      throw new UnknownApiKeyError(apiKey);');
    out.push('  }');
    out.push('}');
    out.push('');
  }
  return out.join('\n');
}

interface ErrorRow {
  name: string;
  code: number;
  retriable: boolean;
  message: string | null;
  exception: string | null;
}

function errorsFile(data: { source: string; errors: ErrorRow[] }): string {
  const out: string[] = [];
  out.push(
    '// GENERATED by scripts/generate-protocol.ts from scripts/kafka-errors.json, which is taken from',
    `// ${data.source}.`,
    '// Do not edit: change the data file and run `npm run gen:protocol`.',
    '',
    "import type { ErrorCode } from '../records/errors.js';",
    "import { TributaryError } from '../records/errors.js';",
    "import { ProtocolError } from './protocol-error.js';",
    '',
    'export interface KafkaErrorInfo {',
    '  /** The name in Kafka\'s Errors enum (also the protocol documentation\'s name). */',
    '  readonly name: string;',
    '  /** The numeric code on the wire. */',
    '  readonly code: number;',
    '  /** Whether clients retry it (the Java exception is a RetriableException). */',
    '  readonly retriable: boolean;',
    '  /** Kafka\'s default message; null for NONE. */',
    '  readonly message: string | null;',
    '}',
    '',
    '/** Every Kafka error by name. */',
    'export const KAFKA_ERRORS = {',
  );
  for (const e of data.errors) {
    out.push(
      `  ${e.name}: { name: '${e.name}', code: ${e.code}, retriable: ${e.retriable}, message: ${
        e.message === null ? 'null' : q(e.message)
      } },`,
    );
  }
  out.push('} as const satisfies Record<string, KafkaErrorInfo>;');
  out.push('');
  out.push('export type KafkaErrorName = keyof typeof KAFKA_ERRORS;');
  out.push('');
  out.push('/** Kafka numeric error codes by name: ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION === 3. */');
  out.push('export const ErrorCodes = {');
  for (const e of data.errors) out.push(`  ${e.name}: ${e.code},`);
  out.push('} as const;');
  out.push('');
  out.push('const BY_CODE = new Map<number, KafkaErrorInfo>();');
  out.push('for (const e of Object.values(KAFKA_ERRORS)) BY_CODE.set(e.code, e);');
  out.push('');
  out.push('/** The error with a numeric code, or undefined for a code this table does not know. */');
  out.push('export function kafkaErrorByCode(code: number): KafkaErrorInfo | undefined {');
  out.push('  return BY_CODE.get(code);');
  out.push('}');
  out.push('');
  out.push('/** Every TributaryError code must be a Kafka error name: this fails to compile otherwise. */');
  out.push('const TRIBUTARY_CODES_ARE_KAFKA_NAMES: ErrorCode extends KafkaErrorName ? true : never = true;');
  out.push('void TRIBUTARY_CODES_ARE_KAFKA_NAMES;');
  out.push('');
  out.push('/** The numeric Kafka code of a TributaryError code name (or any Kafka error name). */');
  out.push('export function kafkaErrorCode(name: ErrorCode | KafkaErrorName): number {');
  out.push('  return KAFKA_ERRORS[name].code;');
  out.push('}');
  out.push('');
  out.push('/** The numeric Kafka code to put on the wire for anything thrown: UNKNOWN_SERVER_ERROR (-1) unless typed. */');
  out.push('export function errorCodeOf(e: unknown): number {');
  out.push('  if (e instanceof ProtocolError) return e.errorCode;');
  out.push('  if (e instanceof TributaryError) {');
  out.push('    const info = (KAFKA_ERRORS as Record<string, KafkaErrorInfo>)[e.code];');
  out.push('    return info === undefined ? -1 : info.code;');
  out.push('  }');
  out.push('  return -1;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/** Every generated file, by path relative to the output root (src/protocol). */
export function generate(specsDir: string = DEFAULT_SPECS_DIR, errorsData: string = ERRORS_DATA): Map<string, string> {
  const specs = loadSpecs(specsDir);
  if (specs.length === 0) throw new Error(`no *Request.json / *Response.json in ${specsDir}`);
  const note = sourceNote(specsDir);
  const files = new Map<string, string>();
  for (const spec of specs) {
    files.set(`messages/${kebab(spec.name)}.ts`, new MessageGen(spec).file(note));
  }
  const apis = pairs(specs);
  files.set('messages/index.ts', indexFile(apis, note));
  files.set('api-keys.ts', apiKeysFile(apis, note));
  files.set('errors.ts', errorsFile(JSON.parse(readFileSync(errorsData, 'utf8'))));
  return files;
}

function main(argv: string[]): void {
  let specs = DEFAULT_SPECS_DIR;
  let out = join(REPO, 'src', 'protocol');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--specs') specs = argv[++i]!;
    else if (argv[i] === '--out') out = argv[++i]!;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const files = generate(specs);
  const messagesDir = join(out, 'messages');
  // messages/ holds only generated files: drop ones no longer generated.
  if (existsSync(messagesDir)) {
    for (const f of readdirSync(messagesDir)) {
      if (!files.has(`messages/${f}`)) rmSync(join(messagesDir, f));
    }
  }
  mkdirSync(messagesDir, { recursive: true });
  for (const [rel, text] of files) writeFileSync(join(out, rel), text);
  console.error(`generated ${files.size} files into ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
