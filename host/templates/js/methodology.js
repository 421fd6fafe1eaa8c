// {{NAME}}: the code of the methodology, in JavaScript.
//
// The manifest (methodology.toml) holds everything else; indicators with `from`
// or `formula` there are computed by cityrank, the others here. `cityrank build .`
// turns this directory into a sandboxed WebAssembly component (QuickJS, componentize-qjs).
import { Methodology, ratio } from "cityrank-sdk";

export default class MyMethodology extends Methodology {
  // One array per indicator without `from` or `formula`: one number per unit
  // (NaN = missing). `data.number("name")` is a variable of [[inputs]].
  derive(edition, data) {
    // km ÷ (thousand people ÷ 1000) = km per million people; missing unless population > 0.
    return {
      rapid_transit: ratio(data.number("metro_km"), data.number("population_k"), 1000),
    };
  }
}
