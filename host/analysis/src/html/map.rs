//! The map of units that `cityrank report`'s page, the comparison report and the
//! sensitivity report draw: points over Natural Earth's country outlines
//! (`assets/countries-110m.json`, public domain; `tools/vendor-map.sh`), in an
//! equirectangular projection (x = longitude, y = −latitude, in degrees), with
//! pan (drag), zoom (wheel and buttons) and a tooltip. One script for all three
//! ([`MAP_SCRIPT`]); each page says what a point's colour and size mean.

use std::collections::BTreeMap;

use cityrank_core::dataset::Dataset;

/// Country outlines (Natural Earth 1:110m; see `host/analysis/assets/PROVENANCE.md`).
const COUNTRIES: &str = include_str!("../../assets/countries-110m.json");

/// The country outlines as a `<script type="application/json" id="cityrank-countries">`.
pub(crate) fn countries_script() -> String {
    format!(
        "<script type=\"application/json\" id=\"cityrank-countries\">{}</script>\n",
        COUNTRIES.trim().replace('<', "\\u003c")
    )
}

/// What a report page needs to draw maps: the country outlines, the map's style
/// and [`MAP_SCRIPT`].
pub(crate) fn assets() -> String {
    format!(
        "{}<style>{MAP_STYLE}</style>\n<script>{MAP_SCRIPT}</script>\n",
        countries_script()
    )
}

/// Each unit's `[latitude, longitude]` in degrees, by id, from the dataset's `lat`
/// and `lon` columns (empty without them; units with a missing coordinate are
/// left out). For panel data, the unit's last row in the file with both.
pub fn coordinates(dataset: &Dataset) -> BTreeMap<String, [f64; 2]> {
    let (Some(lat), Some(lon)) = (dataset.numbers.get("lat"), dataset.numbers.get("lon")) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (r, u) in dataset.units.iter().enumerate() {
        if lat[r].is_finite() && lon[r].is_finite() {
            out.insert(u.id.clone(), [lat[r], lon[r]]);
        }
    }
    out
}

/// `cityrankTierColour(t, count)` colours tier `t` of `count` in order (green to
/// red; grey for none). `cityrankMap(holder, countries, points, options)` draws the map into the
/// element `holder`: a toolbar (zoom in, zoom out, reset; ids `PREFIXzoom-in`,
/// `PREFIXzoom-out`, `PREFIXzoom-reset` with `options.prefix`), the SVG, a tooltip
/// (`options.tip(index)` gives its HTML) and, when `options.pick` is given, a
/// click on a point calls it with the point's index. `points` are `{index, id,
/// lat, lon}`. It returns `{update(colour, size, selected), points}`: `colour(index)`
/// a CSS colour, `size(index)` in [0, 1] or NaN; the view starts on the points'
/// extent. `holder.dataset.points` is the number of points drawn.
pub(crate) const MAP_SCRIPT: &str = r##"
// Tier `t` of `count` tiers as a colour, from the best (green) to the worst
// (red); grey for no tier.
function cityrankTierColour(t, count) {
  if (t === null || t === undefined || t < 0) return '#d0d7de';
  var stops = [[26, 127, 55], [74, 194, 107], [212, 167, 44], [225, 111, 36], [207, 34, 46], [130, 7, 30]];
  var k = count < 2 ? 0 : t / (count - 1) * (stops.length - 1);
  var i = Math.min(stops.length - 2, Math.floor(k)), f = k - i;
  var c = stops[i].map(function (v, j) { return Math.round(v + (stops[i + 1][j] - v) * f); });
  return 'rgb(' + c.join(',') + ')';
}
function cityrankMap(holder, countries, points, options) {
  var ns = 'http://www.w3.org/2000/svg', prefix = options.prefix || '';
  var tools = document.createElement('div'); tools.className = 'map-tools';
  function button(id, label, aria) {
    var b = document.createElement('button'); b.type = 'button'; b.id = prefix + id; b.textContent = label;
    if (aria) b.setAttribute('aria-label', aria);
    tools.append(b); return b;
  }
  var zin = button('zoom-in', '+', 'Zoom in'), zout = button('zoom-out', '−', 'Zoom out'), zreset = button('zoom-reset', 'Reset view');
  var help = document.createElement('span'); help.className = 'note';
  help.textContent = 'Drag to pan; scroll or use the buttons to zoom; point at a unit for its figures.';
  tools.append(help);
  var svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', options.label || 'Map of the units');
  var d = [];
  countries.forEach(function (c) {
    c.rings.forEach(function (r) {
      d.push('M' + r[0] + ' ' + (-r[1]));
      // A jump of more than 180° in longitude crosses the antimeridian: no line across the map.
      for (var k = 2; k < r.length; k += 2) d.push((Math.abs(r[k] - r[k - 2]) > 180 ? 'M' : 'L') + r[k] + ' ' + (-r[k + 1]));
      d.push('Z');
    });
  });
  var land = document.createElementNS(ns, 'path');
  land.setAttribute('class', 'land'); land.setAttribute('d', d.join('')); land.setAttribute('fill-rule', 'evenodd');
  svg.append(land);
  var dots = document.createElementNS(ns, 'g');
  svg.append(dots);
  var tip = document.createElement('div'); tip.className = 'tip'; tip.hidden = true;
  var frame = document.createElement('div'); frame.className = 'map-frame';
  frame.append(svg, tip);
  holder.append(tools, frame);
  var circles = points.map(function (p) {
    var c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', p.lon); c.setAttribute('cy', -p.lat);
    c.dataset.unit = p.id; c.dataset.index = String(p.index);
    dots.append(c);
    return c;
  });
  holder.dataset.points = String(circles.length);
  // The view: the points' extent with a margin, twice as wide as high.
  var home = { x: -180, y: -90, w: 360, h: 180 };
  if (points.length > 0) {
    var lons = points.map(function (p) { return p.lon; }), lats = points.map(function (p) { return p.lat; });
    var x0 = Math.min.apply(null, lons), x1 = Math.max.apply(null, lons), y0 = -Math.max.apply(null, lats), y1 = -Math.min.apply(null, lats);
    var pad = Math.max(2, 0.08 * Math.max(x1 - x0, y1 - y0));
    home = { x: x0 - pad, y: y0 - pad, w: Math.max(x1 - x0 + 2 * pad, 10), h: Math.max(y1 - y0 + 2 * pad, 5) };
    if (home.w / home.h < 2) { var w = home.h * 2; home.x -= (w - home.w) / 2; home.w = w; } else { var h = home.w / 2; home.y -= (h - home.h) / 2; home.h = h; }
  }
  var view = Object.assign({}, home), sizes = null;
  function resize() {
    var k = Math.max(0.05, view.w / 960 * 1.2);
    circles.forEach(function (c, j) {
      var f = sizes ? sizes(points[j].index) : 0.5;
      c.setAttribute('r', String(k * (2 + 5 * (isNaN(f) ? 0.5 : f))));
    });
  }
  function apply() { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); resize(); }
  function zoom(f, cx, cy) {
    var w = Math.min(400, Math.max(1, view.w * f)), h = w / 2;
    if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
    view.x = cx - (cx - view.x) * w / view.w; view.y = cy - (cy - view.y) * h / view.h;
    view.w = w; view.h = h; apply();
  }
  function at(e) {
    var r = svg.getBoundingClientRect();
    return { x: view.x + (e.clientX - r.left) / r.width * view.w, y: view.y + (e.clientY - r.top) / r.height * view.h };
  }
  svg.addEventListener('wheel', function (e) { e.preventDefault(); var p = at(e); zoom(e.deltaY > 0 ? 1.25 : 0.8, p.x, p.y); }, { passive: false });
  var drag = null;
  // The point pressed is kept: once the pointer is captured, the release goes to
  // the map, not to the point.
  svg.addEventListener('pointerdown', function (e) {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, target: e.target.tagName === 'circle' ? e.target : null };
    svg.setPointerCapture(e.pointerId); svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', function (e) {
    if (drag) {
      var r = svg.getBoundingClientRect();
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) drag.moved = true;
      view.x = drag.vx - (e.clientX - drag.x) / r.width * view.w; view.y = drag.vy - (e.clientY - drag.y) / r.height * view.h;
      apply(); return;
    }
    if (e.target.tagName === 'circle') showTip(+e.target.dataset.index, e); else tip.hidden = true;
  });
  svg.addEventListener('pointerup', function (e) {
    svg.classList.remove('dragging');
    var was = drag; drag = null;
    if (was && !was.moved && was.target && options.pick) options.pick(+was.target.dataset.index);
  });
  svg.addEventListener('pointerleave', function () { tip.hidden = true; });
  function showTip(i, e) {
    var r = frame.getBoundingClientRect();
    tip.innerHTML = options.tip(i);
    tip.hidden = false;
    var x = e.clientX - r.left + 12, y = e.clientY - r.top + 12;
    if (x + tip.offsetWidth > r.width) x = Math.max(0, e.clientX - r.left - 12 - tip.offsetWidth);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  zin.addEventListener('click', function () { zoom(0.7); });
  zout.addEventListener('click', function () { zoom(1 / 0.7); });
  zreset.addEventListener('click', function () { view = Object.assign({}, home); apply(); });
  var drawn = false;
  return {
    points: circles.length,
    update: function (colour, size, selected) {
      sizes = size;
      circles.forEach(function (c, j) {
        var i = points[j].index;
        c.setAttribute('fill', colour(i));
        if (i === selected) c.classList.add('selected'); else c.classList.remove('selected');
      });
      if (!drawn) { drawn = true; apply(); } else resize();
    }
  };
}
"##;

/// The map's style (its frame, land, points, toolbar and tooltip).
pub(crate) const MAP_STYLE: &str = r#"
.map-frame { position: relative; }
.map-frame svg { width: 100%; height: auto; background: #eaf2fb; border: 1px solid #d0d7de; cursor: grab; touch-action: none; display: block; }
.map-frame svg.dragging { cursor: grabbing; }
.map-frame .land { fill: #f6f8fa; stroke: #8c959f; stroke-width: 0.3; vector-effect: non-scaling-stroke; }
.map-frame circle { stroke: #fff; stroke-width: 0.6; vector-effect: non-scaling-stroke; fill-opacity: 0.85; }
.map-frame circle.selected { stroke: #0969da; stroke-width: 2.5; }
.map-frame .tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #8c959f; border-radius: 4px; padding: 4px 8px; font-size: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.2); white-space: nowrap; }
.map-tools { display: flex; gap: 6px; align-items: center; margin: 4px 0; flex-wrap: wrap; }
.legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
"#;
