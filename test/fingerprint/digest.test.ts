import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalJson,
  compareCodePoints,
  digestValue,
  secretDigest,
  sha256,
} from "../../fingerprint/digest";

describe("fingerprint/digest", () => {
  it("sha256 writes sha256:<64 hex>", () => {
    assert.equal(
      sha256(""),
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(sha256(Buffer.from("abc")), sha256("abc"));
  });

  const table: [string, unknown, string][] = [
    ["null", null, "null"],
    ["booleans", [true, false], "[true,false]"],
    ["numbers as JSON", [1, -0, 1.5, 1e21, 0.1], "[1,0,1.5,1e+21,0.1]"],
    ["strings escaped", ['a"b\n', "é"], '["a\\"b\\n","é"]'],
    ["sorted keys", { b: 1, a: 2, A: 3 }, '{"A":3,"a":2,"b":1}'],
    [
      "nested, undefined dropped",
      { z: { y: undefined, x: [1, { b: 2, a: 1 }] } },
      '{"z":{"x":[1,{"a":1,"b":2}]}}',
    ],
    ["empty", { a: {}, b: [] }, '{"a":{},"b":[]}'],
    ["code point order", { "\uffff": 1, "\u{1f600}": 2, a: 3 }, '{"a":3,"\uffff":1,"\u{1f600}":2}'],
    [
      "null prototype",
      Object.assign(Object.create(null) as object, { b: 1, a: 1 }),
      '{"a":1,"b":1}',
    ],
  ];
  for (const [name, value, expected] of table) {
    it(`canonicalJson: ${name}`, () => assert.equal(canonicalJson(value), expected));
  }

  const bad: [string, unknown][] = [
    ["function", { f: () => 1 }],
    ["bigint", { n: BigInt(1) }],
    ["symbol", [Symbol("s")]],
    ["NaN", NaN],
    ["Infinity", { x: Infinity }],
    ["undefined at top", undefined],
    ["undefined in array", [undefined]],
    ["Date", new Date(0)],
    ["Map", new Map()],
    ["class instance", new (class Foo {})()],
  ];
  for (const [name, value] of bad) {
    it(`canonicalJson rejects ${name} with a TypeError`, () =>
      assert.throws(() => canonicalJson(value), TypeError));
  }
  it("canonicalJson rejects cycles", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assert.throws(() => canonicalJson(a), TypeError);
  });
  it("a repeated (non-cyclic) reference is fine", () => {
    const x = { a: 1 };
    assert.equal(canonicalJson([x, x]), '[{"a":1},{"a":1}]');
  });

  it("compareCodePoints orders astral characters after U+FFFF", () => {
    assert.ok(compareCodePoints("\u{1f600}", "\uffff") > 0);
    assert.ok(compareCodePoints("a", "b") < 0);
    assert.equal(compareCodePoints("x", "x"), 0);
    assert.ok(compareCodePoints("ab", "a") > 0);
  });

  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ unit: "binary" }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 4 }), tie("value"), { maxKeys: 5 }),
    ),
  })).value;

  function shuffleKeys(v: unknown, seed: number): unknown {
    if (Array.isArray(v)) return v.map((x, i) => shuffleKeys(x, seed + i));
    if (v && typeof v === "object") {
      const keys = Object.keys(v);
      const rotated = keys.map((_, i) => keys[(i + seed) % keys.length]).reverse();
      const out: Record<string, unknown> = {};
      for (const k of rotated) out[k] = shuffleKeys((v as Record<string, unknown>)[k], seed + 1);
      return out;
    }
    return v;
  }

  it("property: key order never changes the digest", () => {
    fc.assert(
      fc.property(json, fc.nat(10), (v, seed) => {
        assert.equal(digestValue(shuffleKeys(v, seed)), digestValue(v));
      }),
      { numRuns: 300 },
    );
  });

  it("property: a changed value always changes the digest", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 5 }), json, { minKeys: 1, maxKeys: 5 }),
        json,
        (obj, replacement) => {
          const key = Object.keys(obj)[0];
          fc.pre(canonicalJson(obj[key]) !== canonicalJson(replacement));
          assert.notEqual(digestValue({ ...obj, [key]: replacement }), digestValue(obj));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: digestValue is sha256 of canonicalJson, which JSON.parse round-trips", () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = canonicalJson(v);
        assert.equal(digestValue(v), sha256(text));
        assert.equal(canonicalJson(JSON.parse(text)), text);
      }),
      { numRuns: 200 },
    );
  });

  it("secretDigest: kdf:<64 hex>, scrypt, scoped, stable", () => {
    const a = secretDigest("app/DB_PASSWORD", "hunter2");
    assert.match(a, /^kdf:[0-9a-f]{64}$/);
    assert.equal(secretDigest("app/DB_PASSWORD", "hunter2"), a);
    assert.notEqual(secretDigest("app/OTHER", "hunter2"), a);
    assert.notEqual(secretDigest("app/DB_PASSWORD", "hunter3"), a);
    assert.notEqual(a.slice(4), sha256("hunter2").slice(7));
  });
});
