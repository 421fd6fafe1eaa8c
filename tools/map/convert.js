// Converts Natural Earth's 1:110m countries (TopoJSON from the npm package
// world-atlas) into the outlines cityrank's report pages draw: a JSON object
// {source, licence, countries: [{name, rings}]}, each ring a flat array
// [lon0, lat0, lon1, lat1, …] in degrees rounded to 0.01°. Run by
// tools/vendor-map.sh (which pins the packages); not at build or test time.
'use strict';
const fs = require('fs');
const path = require('path');
const topojson = require(path.resolve(process.argv[2], 'topojson-client'));
const topo = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const geo = topojson.feature(topo, topo.objects.countries);
const round = (x) => Math.round(x * 100) / 100;
const countries = geo.features.map((f) => {
  const polygons = f.geometry === null ? [] : f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const rings = [];
  for (const polygon of polygons) {
    for (const ring of polygon) {
      const flat = [];
      for (const [lon, lat] of ring) flat.push(round(lon), round(lat));
      rings.push(flat);
    }
  }
  return { name: f.properties.name, rings };
}).filter((c) => c.rings.length > 0)
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
process.stdout.write(JSON.stringify({
  source: 'Natural Earth 1:110m Admin 0 countries, via world-atlas 2.0.2 (countries-110m.json)',
  licence: 'Natural Earth: public domain; world-atlas: ISC',
  countries,
}) + '\n');
