// cityrank's JavaScript SDK: a methodology plugin written in JavaScript.
//
// A plugin is a directory with two files:
//   methodology.toml  the manifest (framework tree, weights, directions, ladders,
//                     pipeline steps, tiers; see docs/authoring.md)
//   methodology.js    a default-exported class derived from Methodology:
//
//     import { Methodology, ratio } from "cityrank-sdk";
//
//     export default class MyRanking extends Methodology {
//       derive(edition, data) {
//         return {
//           air_connectivity: data.number("air_routes"),
//           transit_per_100k: ratio(data.number("metro_km"), data.number("population_k"), 100),
//         };
//       }
//     }
//
// `derive` receives the raw variables the manifest declares in [[inputs]]
// (`data.number("name")`: one number per unit, in the units' order; NaN is a missing
// value) and returns one array per indicator without `from` or `formula` in the
// manifest. A thrown error becomes an error of the run, with its message.
// `cityrank build DIR` turns the directory into a sandboxed component (QuickJS via
// componentize-qjs, WASI stubbed out): the plugin can compute, nothing else — no
// files, network, clock (`Date.now()` stops the run) or randomness.

import { log as hostLog } from "cityrank:methodology/host@0.2.0";

/** The version of the plugin contract this SDK builds against. */
export const CONTRACT_VERSION = "0.2.0";

// The sandbox has no source of randomness: the build would otherwise bake whatever
// seed it drew into the component, and a rebuild would change the numbers.
// Math.random is a generator seeded with 0 instead (mulberry32), so it gives the
// same numbers in every run and every build.
Math.random = (() => {
  let state = 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();

// The sandbox has no clock: Date.now() and new Date() without arguments would stop
// the plugin with a bare trap; they throw an error that says so instead. Dates made
// from values (new Date(2024, 0, 1), Date.UTC(…)) work as ever.
{
  const RealDate = Date;
  const noClock = () => {
    throw new Error(
      "the sandbox has no clock: Date.now() and new Date() are not available; pass dates in as dataset variables",
    );
  };
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      if (args.length === 0) noClock();
      return Reflect.construct(target, args, newTarget);
    },
    apply() {
      noClock();
    },
  });
  RealDate.now = noClock;
  RealDate.prototype.constructor = globalThis.Date;
}

/** The missing value. Test for it with isMissing(x), never with ===. */
export const MISSING = NaN;

/** Whether x is a missing value (NaN). */
export function isMissing(x) {
  return Number.isNaN(x);
}

/** Writes a message to the host's log (level: "debug", "info", "warn" or "error"). */
export function log(message, level = "info") {
  const levels = ["debug", "info", "warn", "error"];
  hostLog(levels.includes(level) ? level : "info", String(message));
}

// console.* goes to the host's log (the sandbox has no terminal).
const show = (a) => {
  if (typeof a === "string") return a;
  if (typeof a === "number" || typeof a === "bigint" || a === undefined) return String(a);
  if (a instanceof Error) return a.stack ? `${a.name}: ${a.message}\n${a.stack}` : `${a.name}: ${a.message}`;
  if (a instanceof Map) return `Map ${show([...a.entries()])}`;
  if (a instanceof Set) return `Set ${show([...a.values()])}`;
  try {
    // NaN and ±Infinity are shown as such (JSON would write null), BigInts as numbers.
    const marked = JSON.stringify(a, (k, v) =>
      typeof v === "number" && !Number.isFinite(v) ? `\u0000${v}\u0000` : typeof v === "bigint" ? Number(v) : v,
    );
    return marked === undefined ? String(a) : marked.replace(/"\\u0000(.*?)\\u0000"/g, "$1");
  } catch {
    return String(a);
  }
};
globalThis.console = {
  log: (...a) => log(text(a), "info"),
  info: (...a) => log(text(a), "info"),
  debug: (...a) => log(text(a), "debug"),
  warn: (...a) => log(text(a), "warn"),
  error: (...a) => log(text(a), "error"),
  dir: (a) => log(text([a]), "info"),
  table: (a) => log(text([a]), "info"),
  trace: (...a) => log(`${text(a)}\n${new Error().stack ?? ""}`, "info"),
  assert: (ok, ...a) => {
    if (!ok) log(`assertion failed${a.length ? `: ${text(a)}` : ""}`, "error");
  },
  // No clock in the sandbox: timers measure nothing.
  time: () => {},
  timeEnd: () => {},
  timeLog: () => {},
  count: (label = "default") => log(`${label}`, "info"),
  group: (...a) => log(text(a), "info"),
  groupEnd: () => {},
};

/** The raw variables of an edition's units (read-only). */
export class Data {
  constructor(table) {
    /** The unit ids, in order. */
    this.units = table.units;
    this._numbers = new Map(table.numbers.map((c) => [c.id, c.values]));
    this._texts = new Map(table.texts.map((c) => [c.id, c.values]));
  }

  /** The number of units. */
  get length() {
    return this.units.length;
  }

  /** The numeric variable `name`: one number per unit (NaN = missing). */
  number(name) {
    return column(this._numbers, name, "number");
  }

  /** The text variable `name`: one string (or undefined) per unit. */
  text(name) {
    return column(this._texts, name, "text");
  }
}

function column(columns, name, kind) {
  const values = columns.get(name);
  if (values === undefined) {
    throw new Error(
      `the input has no ${kind === "number" ? "numeric" : "text"} column \`${name}\`; if it is a dataset ` +
        `variable, declare it in methodology.toml: an [[inputs]] entry with id = "${name}" and type = "${kind}"`,
    );
  }
  return values;
}

/**
 * A pipeline step the manifest assigns to the plugin (`method = "plugin"`): `step`,
 * `method`, `params` (an object), `node`, `units` and `columns` (a Map: id → numbers).
 */
export class Step {
  constructor(request) {
    this.step = request.step;
    this.method = request.method;
    this.node = request.node;
    this.units = request.data.units;
    this.columns = new Map(request.data.numbers.map((c) => [c.id, c.values]));
    this.params = {};
    for (const p of request.params) {
      const v = p.value;
      this.params[p.name] =
        v.tag === "json" ? JSON.parse(v.val) : v.tag === "integer" ? Number(v.val) : v.val;
    }
  }
}

/** Base class of a methodology: override derive, and runStep for the plugin's own steps. */
export class Methodology {
  /** Returns { indicatorId: numbers } for the indicators without `from`/`formula`. */
  derive(edition, data) {
    throw new Error("this methodology does not define derive(edition, data)");
  }

  /** Returns { columnId: numbers }: the step's output for step.columns. */
  runStep(step) {
    throw new Error(`this methodology has no custom \`${step.method}\` method for step \`${step.step}\``);
  }
}

// ── Column helpers: element-wise over arrays of numbers, NaN = missing ─────────

/** n / d * scale per unit; missing unless d > 0 and both are present. */
export function ratio(numerator, denominator, scale = 1) {
  return Array.from(numerator, (n, i) => {
    const d = denominator[i];
    return d > 0 ? (n / d) * scale : NaN;
  });
}

/** Values per 100,000 residents, the population in thousands. */
export function per100kResidents(values, populationK) {
  return ratio(values, populationK, 100);
}

/**
 * Each value limited to [lo, hi] (lo if below, hi if above); missing where the value
 * or a bound is missing or lo > hi, as a formula's clamp.
 */
export function clamp(values, lo, hi) {
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) return Array.from(values, () => NaN);
  return Array.from(values, (x) => (Number.isNaN(x) ? x : x < lo ? lo : x > hi ? hi : x));
}

/** f applied to each unit's values: map(f, a, b, …) → [f(a[0], b[0], …), …]. */
export function map(f, first, ...rest) {
  return Array.from(first, (x, i) => f(x, ...rest.map((c) => c[i])));
}

// ── The component's export (used by the entry module `cityrank build` writes) ──

function message(e) {
  if (e instanceof Error) {
    const where = /methodology\.js:(\d+)/.exec(e.stack ?? "");
    return `${e.name}${where ? ` (methodology.js, line ${where[1]})` : ""}: ${e.message}`;
  }
  return String(e);
}

function table(units, result, what) {
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    throw `${what} must return an object { id: array of numbers }, got ${Array.isArray(result) ? "an array" : typeof result}`;
  }
  const numbers = [];
  for (const [id, values] of Object.entries(result)) {
    const floats = Array.from(values ?? [], (v, i) => {
      if (v === null || v === undefined) return NaN;
      if (typeof v !== "number") {
        throw `${what}: column \`${id}\` has ${JSON.stringify(v)} for unit ${i + 1}; return numbers (NaN, null or undefined for a missing value)`;
      }
      return v;
    });
    if (floats.length !== units.length) {
      throw `${what}: column \`${id}\` has ${floats.length} values for ${units.length} units`;
    }
    numbers.push({ id, values: floats });
  }
  return { units, numbers, texts: [] };
}

/** The component's `plugin` export for the Methodology subclass `Class`. */
export function exportPlugin(Class, manifest) {
  if (typeof Class !== "function" || !(Class.prototype instanceof Methodology)) {
    throw new Error("methodology.js must `export default` a class that extends Methodology");
  }
  const methodology = new Class();
  return {
    manifest() {
      return manifest;
    },
    derive(edition, input) {
      let result;
      try {
        result = methodology.derive(edition, new Data(input));
      } catch (e) {
        throw message(e);
      }
      return table(input.units, result, "derive");
    },
    runStep(request) {
      let result;
      try {
        result = methodology.runStep(new Step(request));
      } catch (e) {
        throw message(e);
      }
      return table(request.data.units, result, "runStep");
    },
  };
}
