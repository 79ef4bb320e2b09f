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
  var map = L.map(el, { preferCanvas: true, zoomControl: true });
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
  map.createPane("basemap");
  map.getPane("basemap").style.zIndex = 250;
  var baseCanvas = L.canvas({ padding: 0.3, pane: "basemap" });
  function parts(group, names) {  // one sub-group per layer name, redrawn independently
    group.wuhaiLayers = names;
    group.wuhaiParts = {};
    names.forEach(function (n) { group.wuhaiParts[n] = L.layerGroup().addTo(group); });
    return group;
  }
  var offline = parts(L.layerGroup(), ["divisions_base", "roads"]);
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
    roads: { color: "#ffffff", weight: 3, opacity: 1, pane: "basemap" },
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
      dd.textContent = (T.values[key] && T.values[key][v]) || String(v);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
    return box;
  }

  function draw(name, fc) {
    var group = targets[name];
    if (!group) { return; }
    group.clearLayers();
    var style = styles[name];
    var n = 0;
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
        layer = style.pane
          ? L.geoJSON(f, { style: function () { return style; }, pane: style.pane, renderer: baseCanvas, interactive: false })
          : L.geoJSON(f, { style: function () { return style; }, renderer: canvas });
      }
      if (!p.cluster && !style.pane) { layer.bindPopup(popupFor(name, p)); }
      group.addLayer(layer);
      n += 1;
    });
    stats.drawn += n;
    if (n > 0 && stats.firstDrawnAt === null) {
      stats.firstDrawnAt = performance.now();
      document.body.dataset.featuresDrawn = "1";
    }
    el.dataset["count_" + name.replace(":", "_")] = String(n);
  }

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
  }

  function show(items) {
    results = items;
    list.replaceChildren();
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.tabIndex = -1;
      var n = document.createElement("span");
      n.textContent = item.name;
      var r = document.createElement("small");
      r.textContent = item.romanized || "";
      li.appendChild(n);
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
