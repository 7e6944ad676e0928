/**
 * Jute, ZooKeeper's record serialization, read and written by a small interpreter of record
 * specifications (records.ts): big-endian ints and longs, a boolean byte, length-prefixed
 * buffers and UTF-8 strings (length -1 is null), length-prefixed vectors, nested records.
 *
 * Every read is bounded by the bytes of the frame: a length that runs past the end, a negative
 * length other than -1, a string that is not UTF-8 or a vector longer than its bytes could hold
 * throws JuteError, which the listener turns into a clean close. Nothing here allocates more than
 * the frame it was given.
 */

export class JuteError extends Error {
  override readonly name = 'JuteError';
}

/** A field type as ZooKeeper's jute specifications spell it: `int`, `vector<ustring>`, `data.Stat`. */
export type JuteType = string;
export interface JuteField {
  readonly name: string;
  readonly type: JuteType;
}
export type RecordSpec = readonly JuteField[];
/** Every record a codec knows, by name (nested records are named `data.X` in field types). */
export type RecordSpecs = ReadonlyMap<string, RecordSpec>;

/** A decoded value: jute longs are bigints (zxids and session ids use all 64 bits). */
export type JuteValue = number | bigint | boolean | Uint8Array | string | null | readonly JuteValue[] | JuteRecord;
export interface JuteRecord {
  readonly [field: string]: JuteValue;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class JuteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  int(): number {
    this.need(4, 'int');
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  long(): bigint {
    this.need(8, 'long');
    const value = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  boolean(): boolean {
    this.need(1, 'boolean');
    return this.bytes[this.offset++] !== 0;
  }

  /** A buffer, or null for length -1 (ZooKeeper's null data). */
  buffer(): Uint8Array | null {
    const length = this.length('buffer');
    if (length === null) return null;
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  ustring(): string | null {
    const bytes = this.buffer();
    if (bytes === null) return null;
    try {
      return utf8.decode(bytes);
    } catch {
      throw new JuteError('a string is not valid UTF-8');
    }
  }

  /** A vector's element count, checked against what the remaining bytes could hold (each element takes at least one byte). */
  count(): number | null {
    const count = this.int();
    if (count === -1) return null;
    if (count < 0) throw new JuteError(`negative vector length ${count}`);
    if (count > this.remaining) throw new JuteError(`vector of ${count} elements in ${this.remaining} bytes`);
    return count;
  }

  private length(what: string): number | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < 0) throw new JuteError(`negative ${what} length ${length}`);
    this.need(length, what);
    return length;
  }

  private need(bytes: number, what: string): void {
    if (this.offset + bytes > this.bytes.byteLength) throw new JuteError(`truncated record: ${what} needs ${bytes} bytes, ${this.remaining} left`);
  }
}

export class JuteWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  int(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value);
    return this.push(bytes);
  }

  long(value: bigint): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, value));
    return this.push(bytes);
  }

  boolean(value: boolean): this {
    return this.push(Uint8Array.of(value ? 1 : 0));
  }

  buffer(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    return this.int(value.byteLength).push(value);
  }

  ustring(value: string | null): this {
    return this.buffer(value === null ? null : utf8Encoder.encode(value));
  }

  /** The bytes written, with or without the 4-byte length prefix of a frame. */
  finish(framed = false): Uint8Array {
    const out = new Uint8Array(this.size + (framed ? 4 : 0));
    let at = 0;
    if (framed) {
      new DataView(out.buffer).setInt32(0, this.size);
      at = 4;
    }
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
    return this;
  }
}

/** Reads and writes records by their specifications. */
export class JuteCodec {
  constructor(private readonly specs: RecordSpecs) {
    for (const [name, spec] of specs) for (const field of spec) this.checkType(field.type, `${name}.${field.name}`);
  }

  read(reader: JuteReader, record: string): JuteRecord {
    const out: Record<string, JuteValue> = {};
    for (const field of this.spec(record)) out[field.name] = this.readValue(reader, field.type);
    return out;
  }

  write(writer: JuteWriter, record: string, value: JuteRecord): JuteWriter {
    for (const field of this.spec(record)) {
      const fieldValue = value[field.name];
      if (fieldValue === undefined) throw new Error(`${record}.${field.name} is missing`);
      this.writeValue(writer, field.type, fieldValue, `${record}.${field.name}`);
    }
    return writer;
  }

  private spec(record: string): RecordSpec {
    const spec = this.specs.get(record);
    if (spec === undefined) throw new Error(`no jute record ${record}`);
    return spec;
  }

  private readValue(reader: JuteReader, type: JuteType): JuteValue {
    switch (type) {
      case 'int':
        return reader.int();
      case 'long':
        return reader.long();
      case 'boolean':
        return reader.boolean();
      case 'buffer':
        return reader.buffer();
      case 'ustring':
        return reader.ustring();
    }
    const element = vectorElement(type);
    if (element !== null) {
      const count = reader.count();
      if (count === null) return null;
      const values: JuteValue[] = [];
      for (let index = 0; index < count; index++) values.push(this.readValue(reader, element));
      return values;
    }
    return this.read(reader, type.slice('data.'.length));
  }

  private writeValue(writer: JuteWriter, type: JuteType, value: JuteValue, where: string): void {
    const wrong = () => new Error(`${where}: ${typeof value} is not a jute ${type}`);
    switch (type) {
      case 'int':
        if (typeof value !== 'number') throw wrong();
        writer.int(value);
        return;
      case 'long':
        if (typeof value !== 'bigint') throw wrong();
        writer.long(value);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw wrong();
        writer.boolean(value);
        return;
      case 'buffer':
        if (value !== null && !(value instanceof Uint8Array)) throw wrong();
        writer.buffer(value);
        return;
      case 'ustring':
        if (value !== null && typeof value !== 'string') throw wrong();
        writer.ustring(value);
        return;
    }
    const element = vectorElement(type);
    if (element !== null) {
      if (value === null) {
        writer.int(-1);
        return;
      }
      if (!Array.isArray(value)) throw wrong();
      writer.int(value.length);
      for (const item of value as readonly JuteValue[]) this.writeValue(writer, element, item, where);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw wrong();
    this.write(writer, type.slice('data.'.length), value as JuteRecord);
  }

  private checkType(type: JuteType, where: string): void {
    if (['int', 'long', 'boolean', 'buffer', 'ustring'].includes(type)) return;
    const element = vectorElement(type);
    if (element !== null) return this.checkType(element, where);
    if (!type.startsWith('data.') || !this.specs.has(type.slice('data.'.length))) throw new Error(`${where}: unknown jute type ${type}`);
  }
}

function vectorElement(type: JuteType): JuteType | null {
  return type.startsWith('vector<') && type.endsWith('>') ? type.slice('vector<'.length, -1) : null;
}
