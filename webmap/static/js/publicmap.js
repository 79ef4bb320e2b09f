// The public map: viewport loading of server-aggregated GeoJSON, basemaps, popups, search.
// Every text from the database reaches the page through textContent, never innerHTML.
(function () {
  "use strict";

  var el = document.getElementById("map");
  if (!el) { return; }
  var cfg = el.dataset;
  var T = JSON.parse(document.getElementById("i18n").textContent);
  // The first view fits the city polygon (bounds computed by the server) with a small margin,
  // below the search box where the two would overlap. Only this fit uses fractional zoom, so
  // that the city fills phones and desktops alike; zooming afterwards snaps to whole levels.
  var cb = cfg.bounds ? JSON.parse(cfg.bounds) : [106.606, 39.036, 107.134, 39.915];
  var cityBounds = L.latLngBounds([[cb[1], cb[0]], [cb[3], cb[2]]]);
  var places = JSON.parse((document.getElementById("places") || { textContent: "{}" }).textContent);
  // Zoom stops where the data stops: house-number plates and markers are readable at 18.
  var map = L.map(el, { preferCanvas: true, zoomControl: true, minZoom: 7, maxZoom: 18,
    maxBounds: cityBounds.pad(0.6), maxBoundsViscosity: 0.8 });
  function fitCity() {
    var margin = 10;
    var pad = { paddingTopLeft: [margin, margin], paddingBottomRight: [margin, margin], animate: false };
    var snap = map.options.zoomSnap;
    map.options.zoomSnap = 0.05;
    map.fitBounds(cityBounds, pad);
    var box = document.querySelector(".search-box");
    if (box) {
      var m = el.getBoundingClientRect();
      var b = box.getBoundingClientRect();
      var nw = map.latLngToContainerPoint(cityBounds.getNorthWest());
      var se = map.latLngToContainerPoint(cityBounds.getSouthEast());
      var boxBottom = b.bottom - m.top;
      if (nw.x < b.right - m.left && se.x > b.left - m.left && nw.y < boxBottom) {
        pad.paddingTopLeft = [margin, boxBottom + margin];
        map.fitBounds(cityBounds, pad);
      }
    }
    map.options.zoomSnap = snap;
  }
  fitCity();
  window.wuhaiMap = map;
  window.wuhaiCityBounds = cityBounds;
  var canvas = L.canvas({ padding: 0.3 });
  var display = "cgcs2000";
  var stats = { requests: 0, drawn: 0, firstDrawnAt: null };
  window.wuhaiMapStats = stats;

  // ---- basemaps -------------------------------------------------------------------------
  // Land, water and roads each get a pane (and canvas) of their own, so that whichever answer
  // arrives last, water lies on the land and roads on both.
  var baseCanvas = {};
  [["basemap", 250], ["basewater", 255], ["baseroads", 260]].forEach(function (p) {
    map.createPane(p[0]);
    map.getPane(p[0]).style.zIndex = p[1];
    map.getPane(p[0]).style.pointerEvents = "none";
    baseCanvas[p[0]] = L.canvas({ padding: 0.3, pane: p[0] });
  });
  map.createPane("labels");
  map.getPane("labels").style.zIndex = 640;
  map.getPane("labels").style.pointerEvents = "none";
  function parts(group, names) {  // one sub-group per layer name, redrawn independently
    group.wuhaiLayers = names;
    group.wuhaiParts = {};
    names.forEach(function (n) { group.wuhaiParts[n] = L.layerGroup().addTo(group); });
    return group;
  }
  var offline = parts(L.layerGroup(), ["divisions_base", "water", "roads"]);
  var basemaps = {};
  basemaps[T.offline] = offline;
  basemaps["OpenStreetMap"] = L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" });
  if (cfg.tiandituKey) {
    var tk = encodeURIComponent(cfg.tiandituKey);
    basemaps[T.tianditu] = L.layerGroup([
      L.tileLayer("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk,
        { subdomains: "01234567", maxZoom: 18, attribution: "&copy; 天地图" }),
      L.tileLayer("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk,
        { subdomains: "01234567", maxZoom: 18 })
    ]);
  }
  var gaode = L.tileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    { subdomains: "1234", maxZoom: 18, attribution: "&copy; 高德地图 (GCJ-02)" });
  gaode.wuhaiGcj02 = true;
  basemaps[T.gaode] = gaode;
  offline.addTo(map);

  // ---- overlays -------------------------------------------------------------------------
  var styles = {
    divisions_base: { color: "#b9a98a", weight: 1, fillColor: "#f4efe3", fillOpacity: 1, pane: "basemap" },
    water: { color: "#6fa8dc", weight: 6, opacity: 1, fillColor: "#a9cfee", fillOpacity: 1, lineJoin: "round", pane: "basewater" },
    roads: { color: "#ffffff", weight: 3, opacity: 1, pane: "baseroads" },
    divisions: { color: "#7a4fa0", weight: 2, fill: false, dashArray: "6 4" },
    boundary_lines: { color: "#c0392b", weight: 4 },
    names: { radius: 5, color: "#1f4e79", fillColor: "#2e86c1", fillOpacity: 0.9, weight: 1 },
    signs: { radius: 4, color: "#7d6608", fillColor: "#f1c40f", fillOpacity: 0.9, weight: 1 },
    markers: { radius: 5, color: "#641e16", fillColor: "#e74c3c", fillOpacity: 0.9, weight: 1 },
    facilities: { radius: 6, color: "#0b5345", fillColor: "#1abc9c", fillOpacity: 0.9, weight: 1 }
  };
  var overlays = {};
  var overlayNames = ["divisions", "boundary_lines", "names", "markers", "signs"];
  overlayNames.forEach(function (name) {
    overlays[T.layers[name]] = parts(L.layerGroup(), [name]);
  });
  ["divisions", "boundary_lines", "names", "markers"].forEach(function (n) {
    overlays[T.layers[n]].addTo(map);
  });
  var facilityKinds = {};  // "facilities:<group>" -> kind codes
  T.facility_groups.forEach(function (g) {
    var name = "facilities:" + g.group;
    facilityKinds[name] = g.kinds;
    styles[name] = styles.facilities;
    T.facts[name] = T.facts.facilities;
    var group = parts(L.layerGroup(), [name]);
    overlays[T.layers.facilities + "：" + g.label] = group;
    if (g.group === "elderly" || g.group === "community") { group.addTo(map); }
  });
  L.control.layers(basemaps, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var legendBox = document.getElementById("legend");
  if (legendBox) {  // written in the page (translated there), shown as a map control
    var Legend = L.Control.extend({ options: { position: "bottomright" },
      onAdd: function () { L.DomEvent.disableClickPropagation(legendBox); L.DomEvent.disableScrollPropagation(legendBox); return legendBox; } });
    legendBox.hidden = false;
    if (window.innerWidth < 700) { legendBox.open = false; }
    new Legend().addTo(map);
  }

  var targets = {};   // layer name -> L.LayerGroup it draws into
  var pending = {};

  function activeLayers() {
    var out = [];
    map.eachLayer(function (l) {
      if (l.wuhaiLayers) {
        l.wuhaiLayers.forEach(function (n) { targets[n] = l.wuhaiParts[n]; out.push(n); });
      }
    });
    return out;
  }

  function endpoint(name) {
    var real = name === "divisions_base" ? "divisions" : name.split(":")[0];
    var b = map.getBounds();
    var z = map.getZoom();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    if (display === "gcj02") {  // viewport in GCJ-02 -> approximate storage bbox (offset < 0.01 deg)
      bbox = [b.getWest() - 0.01, b.getSouth() - 0.01, b.getEast() + 0.01, b.getNorth() + 0.01].map(function (v) { return v.toFixed(5); });
    }
    var url = cfg.featuresUrl.replace("__layer__", real) + "?bbox=" + bbox.join(",") + "&zoom=" + Math.round(z);
    if (name === "divisions_base") { url += "&level=" + (z < 11 ? "district" : z < 13 ? "town" : "community"); }
    if (facilityKinds[name]) { url += "&kind=" + facilityKinds[name].join(","); }
    if (display === "gcj02") { url += "&display=gcj02"; }
    return url;
  }

  function clusterIcon(name, count) {
    var div = document.createElement("div");
    div.className = "cluster";
    div.textContent = count >= 1000 ? Math.round(count / 100) / 10 + "k" : String(count);
    var size = count < 10 ? 26 : count < 100 ? 32 : count < 1000 ? 38 : 44;
    return L.divIcon({ html: div, className: "cluster-icon cluster-" + name.split(":")[0], iconSize: [size, size] });
  }

  function popupFor(name, props) {
    var box = document.createElement("div");
    box.className = "popup";
    var title = props.name || props.text_zh || props.number || props.code || "";
    var h = document.createElement("strong");
    h.textContent = title;
    box.appendChild(h);
    var rom = props.romanized || props.text_romanized;
    if (rom) {
      var r = document.createElement("div");
      r.className = "romanized";
      r.textContent = rom;
      box.appendChild(r);
    }
    var dl = document.createElement("dl");
    (T.facts[name] || []).forEach(function (key) {
      var v = props[key];
      if (v === null || v === undefined || v === "") { return; }
      var dt = document.createElement("dt");
      dt.textContent = T.fields[key] || key;
      var dd = document.createElement("dd");
      dd.textContent = (T.values[key] && T.values[key][v]) || (key === "division_code" && places[v]) || String(v);
      if (key === "division_code") { dd.title = String(v); }
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
    return box;
  }

  // Major roads wider and warmer (as on Tianditu and Gaode); all get wider as one zooms in.
  var roadWidth = { trunk: 1.6, primary: 1.4, secondary: 1.1, street: 0.8, rural: 0.7 };
  function featureStyle(name, f) {
    var style = styles[name];
    var z = map.getZoom();
    if (name === "roads") {
      var cls = (f.properties || {}).road_class;
      var major = cls === "trunk" || cls === "primary";
      return L.extend({}, style, { color: major ? "#fbe3a4" : "#ffffff",
        weight: Math.max(1.5, (roadWidth[cls] || 0.8) * (z - 9)) });
    }
    if (name === "water") {
      var line = f.geometry.type.indexOf("Line") >= 0;
      return L.extend({}, style, { weight: line ? Math.max(3, 2 * (z - 8)) : 1, fill: !line });
    }
    return style;
  }

  function draw(name, fc) {
    var group = targets[name];
    if (!group) { return; }
    group.clearLayers();
    var style = styles[name];
    var n = 0;
    var labels = [];
    fc.features.forEach(function (f) {
      var p = f.properties || {};
      var layer;
      if (p.cluster) {
        var c = f.geometry.coordinates;
        layer = L.marker([c[1], c[0]], { icon: clusterIcon(name, p.count), keyboard: false });
        layer.on("click", function () {
          var b = p.bbox;
          map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: map.getZoom() + 3 });
        });
      } else if (f.geometry.type === "Point") {
        var pc = f.geometry.coordinates;
        layer = L.circleMarker([pc[1], pc[0]], L.extend({ renderer: canvas }, style));
      } else {
        var fs = featureStyle(name, f);
        layer = style.pane
          ? L.geoJSON(f, { style: function () { return fs; }, pane: style.pane, renderer: baseCanvas[style.pane], interactive: false })
          : L.geoJSON(f, { style: function () { return fs; }, renderer: canvas });
      }
      if (!p.cluster && !style.pane) { layer.bindPopup(popupFor(name, p)); }
      group.addLayer(layer);
      n += 1;
      var lab = labelFor(name, f);
      if (lab) { labels.push(lab); }
    });
    labelSources[name] = labels;
    placeLabels();
    stats.drawn += n;
    if (n > 0 && stats.firstDrawnAt === null) {
      stats.firstDrawnAt = performance.now();
      document.body.dataset.featuresDrawn = "1";
    }
    el.dataset["count_" + name.replace(":", "_")] = String(n);
  }

  // ---- labels ---------------------------------------------------------------------------
  // Names are labelled by zoom: districts, then towns, then communities (from the division
  // layer), water at every zoom, streets along their line and other names from zoom 14 (when
  // the name layer shows single points). Labels are placed in rank order and a label that would
  // overlap one already placed is left out (collision handling, as on the tiled public maps).
  var labelSources = {};
  var labelLayer = L.layerGroup().addTo(map);
  var measure = document.createElement("canvas").getContext("2d");
  var rankOfLevel = { city: 0, district: 1, town: 2, community: 3, village: 3 };
  function categoryRank(code) {
    code = code || "";
    if (code.indexOf("12") === 0 || code.indexOf("13") === 0) { return 5; }  // water, landforms
    if (code.indexOf("21") === 0 || code.indexOf("22") === 0) { return 6; }  // divisions (drawn from their polygons)
    if (code.indexOf("24") === 0) { return 7; }  // residential areas
    return 8;
  }

  function labelFor(name, f) {
    var p = f.properties || {};
    if (p.cluster || !p.name) { return null; }
    if (name === "divisions" && p.label) {
      return { lat: p.label[1], lon: p.label[0], text: p.name, rank: rankOfLevel[p.level] || 3, cls: "label-" + p.level, key: "d" + p.code };
    }
    if (name === "water") {
      var wl = waterLabelPoint(f);
      return wl ? { lat: wl[1], lon: wl[0], text: p.name, rank: 4, cls: "label-water", key: "w" + p.id } : null;
    }
    if (name === "roads" && map.getZoom() >= 14) {
      var seg = longestSegment(f.geometry);
      if (!seg) { return null; }
      return { lat: (seg[0][1] + seg[1][1]) / 2, lon: (seg[0][0] + seg[1][0]) / 2, text: p.name, rank: 6.5,
        cls: "label-road", key: "r" + p.name, seg: seg };
    }
    if (name === "names" && f.geometry.type === "Point" && map.getZoom() >= 14) {
      var cat = p.category_code || "";
      if (cat.indexOf("25") === 0 && cat !== "254") { return null; }  // streets are labelled along their line
      var rank = categoryRank(cat);
      if (rank === 6) { return null; }
      var c = f.geometry.coordinates;
      return { lat: c[1], lon: c[0], text: p.name, rank: rank, cls: "label-name", key: "n" + p.id, below: true };
    }
    return null;
  }

  function waterLabelPoint(f) {
    var seg = longestSegment(f.geometry);
    return seg ? [(seg[0][0] + seg[1][0]) / 2, (seg[0][1] + seg[1][1]) / 2] : null;
  }

  function longestSegment(g) {  // the longest straight piece of a line or ring, in lon/lat
    var lines = g.type === "LineString" ? [g.coordinates]
      : g.type === "MultiLineString" || g.type === "Polygon" ? g.coordinates
      : g.type === "MultiPolygon" ? [].concat.apply([], g.coordinates) : [];
    var best = null;
    var bestLen = 0;
    var b = map.getBounds();
    lines.forEach(function (line) {
      for (var i = 1; i < line.length; i++) {
        var a = line[i - 1];
        var c = line[i];
        if (!b.contains([(a[1] + c[1]) / 2, (a[0] + c[0]) / 2])) { continue; }
        var len = Math.pow(a[0] - c[0], 2) + Math.pow(a[1] - c[1], 2);
        if (len > bestLen) { bestLen = len; best = [a, c]; }
      }
    });
    return best;
  }

  function placeLabels() {
    labelLayer.clearLayers();
    var all = [];
    var seen = {};
    Object.keys(labelSources).forEach(function (k) {
      if (!targets[k] || !map.hasLayer(targets[k])) { return; }
      labelSources[k].forEach(function (l) { if (!seen[l.key]) { seen[l.key] = true; all.push(l); } });
    });
    all.sort(function (a, b) { return a.rank - b.rank; });
    var size = map.getSize();
    var boxes = [];
    var placed = 0;
    all.forEach(function (l) {
      var pt = map.latLngToContainerPoint([l.lat, l.lon]);
      measure.font = (l.rank <= 1 ? "bold 14px" : "12px") + " sans-serif";
      var w = measure.measureText(l.text).width + 6;
      var h = l.rank <= 1 ? 18 : 16;
      var angle = 0;
      if (l.seg) {
        var a = map.latLngToContainerPoint([l.seg[0][1], l.seg[0][0]]);
        var c = map.latLngToContainerPoint([l.seg[1][1], l.seg[1][0]]);
        if (a.distanceTo(c) < w * 0.8) { return; }  // the street is too short here for its name
        angle = Math.atan2(c.y - a.y, c.x - a.x) * 180 / Math.PI;
        if (angle > 90) { angle -= 180; } else if (angle < -90) { angle += 180; }
      }
      var rad = Math.abs(angle) * Math.PI / 180;
      var bw = w * Math.cos(rad) + h * Math.sin(rad);
      var bh = w * Math.sin(rad) + h * Math.cos(rad);
      var cy = l.below ? pt.y + 4 + bh / 2 : pt.y;
      var box = [pt.x - bw / 2, cy - bh / 2, pt.x + bw / 2, cy + bh / 2];
      if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { return; }
      for (var i = 0; i < boxes.length; i++) {
        var o = boxes[i];
        if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { return; }
      }
      boxes.push(box);
      var span = document.createElement("span");
      span.textContent = l.text;
      if (angle) { span.style.transform = "rotate(" + angle.toFixed(1) + "deg)"; }
      var icon = L.divIcon({ html: span, className: "map-label " + l.cls, iconSize: [w, h],
        iconAnchor: [w / 2, l.below ? -4 : h / 2] });
      labelLayer.addLayer(L.marker([l.lat, l.lon], { icon: icon, pane: "labels", interactive: false, keyboard: false }));
      placed += 1;
    });
    el.dataset.labels = String(placed);
  }
  map.on("overlayremove overlayadd baselayerchange", placeLabels);

  function refresh() {
    activeLayers().forEach(function (name) {
      if (pending[name]) { pending[name].abort(); }
      var ctl = new AbortController();
      pending[name] = ctl;
      stats.requests += 1;
      fetch(endpoint(name), { signal: ctl.signal, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (fc) { delete pending[name]; draw(name, fc); })
        .catch(function (e) { if (e.name !== "AbortError") { console.warn(name, e); } });
    });
  }

  var timer = null;
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 120); }
  map.on("moveend zoomend overlayadd", schedule);
  map.on("baselayerchange", function (e) {
    var next = e.layer.wuhaiGcj02 ? "gcj02" : "cgcs2000";
    if (next !== display) {
      display = next;
      Object.keys(targets).forEach(function (k) { targets[k].clearLayers(); });
    }
    schedule();
  });
  refresh();

  // ---- search ---------------------------------------------------------------------------
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var found = L.layerGroup().addTo(map);
  var stimer = null;
  var results = [];

  // The chosen name is outlined (its line or area, else a ring at its point) and its district
  // drawn around it, so that one sees where in the city it lies.
  function flyTo(item) {
    list.replaceChildren();
    input.value = item.name;
    found.clearLayers();
    var b = item.bbox;
    if (b && (b[2] - b[0] > 0.002 || b[3] - b[1] > 0.002)) {
      map.flyToBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 16, duration: 0.8 });
    } else {
      map.flyTo([item.lat, item.lon], 16, { duration: 0.8 });
    }
    var m = L.circleMarker([item.lat, item.lon], { radius: 10, color: "#e67e22", weight: 3, fill: false });
    m.bindPopup(popupFor("names", { name: item.name, romanized: item.romanized, category_code: item.category_code, status: item.status }));
    found.addLayer(m);
    map.once("moveend", function () { m.openPopup(); el.dataset.flewTo = String(item.id); });
    var url = cfg.outlineUrl.replace("/0/", "/" + item.id + "/") + (display === "gcj02" ? "?display=gcj02" : "");
    fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); }).then(function (o) {
      if (o.district) {
        found.addLayer(L.geoJSON(o.district, { interactive: false,
          style: { color: "#6c3483", weight: 3, fill: true, fillColor: "#6c3483", fillOpacity: 0.04, dashArray: "8 5" } }));
      }
      if (o.feature && o.feature.geometry.type !== "Point") {
        found.addLayer(L.geoJSON(o.feature, { interactive: false,
          style: { color: "#e67e22", weight: 5, opacity: 0.9, fillColor: "#f5b041", fillOpacity: 0.25 } }));
      }
      el.dataset.outlined = String(item.id);
    }).catch(function (e) { console.warn("outline", e); });
  }

  function show(items) {
    results = items;
    list.replaceChildren();
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.tabIndex = -1;
      var n = document.createElement("span");
      n.className = "name";
      n.textContent = item.name;
      var kind = document.createElement("span");
      kind.className = "where";
      kind.textContent = [item.category, item.district].filter(Boolean).join(" · ");
      var r = document.createElement("small");
      r.textContent = item.romanized || "";
      li.appendChild(n);
      li.appendChild(kind);
      li.appendChild(r);
      li.addEventListener("click", function () { flyTo(items[i]); });
      list.appendChild(li);
    });
  }

  if (input) {
    input.addEventListener("input", function () {
      clearTimeout(stimer);
      var q = input.value.trim();
      if (!q) { list.replaceChildren(); return; }
      stimer = setTimeout(function () {
        var url = cfg.searchUrl + "?limit=8&q=" + encodeURIComponent(q) + (display === "gcj02" ? "&display=gcj02" : "");
        fetch(url).then(function (r) { return r.json(); }).then(show).catch(function () {});
      }, 150);
    });
    input.form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (results.length) { flyTo(results[0]); }
    });
  }
})();
