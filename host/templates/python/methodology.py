"""{{NAME}}: the code of the methodology, in Python.

The manifest (methodology.toml) holds everything else; indicators with `from` or
`formula` there are computed by cityrank, the others here. `cityrank build .`
turns this directory into a sandboxed WebAssembly component (componentize-py).
"""

from cityrank_sdk import Methodology, ratio


class MyMethodology(Methodology):
    def derive(self, edition, data):
        """One list per indicator without `from` or `formula`: one float per
        unit (math.nan = missing). `data["name"]` is a variable of [[inputs]]."""
        # km ÷ (thousand people ÷ 1000) = km per million people; missing unless population > 0.
        return {
            "rapid_transit": ratio(data["metro_km"], data["population_k"], 1000),
        }
