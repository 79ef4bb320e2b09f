// Small maps of the report form and the officers' and inspectors' pages, on the offline basemap
// (our own divisions, water and roads): geometry editing with Leaflet.draw (#editmap), point
// pickers that fill longitude/latitude fields (.pointpicker), the boundary lines and markers
// (#linesmap), an inspection round (#roundmap) and sign audit findings (#auditmap).
// Texts from the database reach the page through textContent, never innerHTML.
(function () {
  "use strict";
  if (!window.L) { return; }
  var API = "/api/features/";
  var WUHAI = [106.2, 39.0, 107.4, 40.1];

  function newMap(el, opts) {
    var map = L.map(el, L.extend({ maxZoom: 18, minZoom: 7, zoomSnap: 0.5 }, opts || {})).setView([39.66, 106.82], 10);
    L.control.scale({ imperial: false }).addTo(map);
    [["land", 210], ["water", 220], ["roads", 230]].forEach(function (p) {  // water on land, roads on both
      map.createPane(p[0]);
      map.getPane(p[0]).style.zIndex = p[1];
      map.getPane(p[0]).style.pointerEvents = "none";
    });
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }

  function features(layer, bbox, zoom, extra) {
    return getJSON(API + layer + "?bbox=" + bbox.join(",") + "&zoom=" + zoom + (extra || ""));
  }

  // The offline basemap: district (or town) polygons, water and roads of the view, redrawn on moves.
  function basemap(map) {
    var land = L.layerGroup().addTo(map);
    var water = L.layerGroup().addTo(map);
    var roads = L.layerGroup().addTo(map);
    el(map).style.background = "#dfe8ee";
    function refresh() {
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
      var z = Math.round(map.getZoom());
      features("divisions", bbox, z, "&level=" + (z < 12 ? "district" : "town")).then(function (fc) {
        land.clearLayers();
        L.geoJSON(fc, { pane: "land", interactive: false, style: { color: "#b9a98a", weight: 1, fillColor: "#f4efe3", fillOpacity: 1 } }).addTo(land);
      }).catch(function () {});
      features("water", bbox, z).then(function (fc) {
        water.clearLayers();
        L.geoJSON(fc, { pane: "water", interactive: false, style: function (f) {
          var line = f.geometry.type.indexOf("Line") >= 0;
          return { color: "#6fa8dc", weight: line ? 5 : 1, fill: !line, fillColor: "#a9cfee", fillOpacity: 1 };
        } }).addTo(water);
      }).catch(function () {});
      features("roads", bbox, z).then(function (fc) {
        roads.clearLayers();
        L.geoJSON(fc, { pane: "roads", interactive: false, style: function (f) {
          var major = ["trunk", "primary"].indexOf(f.properties.road_class) >= 0;
          return { color: major ? "#fbe3a4" : "#ffffff", weight: major ? 4 : 2 };
        } }).addTo(roads);
      }).catch(function () {});
    }
    map.on("moveend", refresh);
    refresh();
    return { land: land, water: water, roads: roads };
  }

  function el(map) { return map.getContainer(); }

  // Fit a shape: a point at a zoom that shows its surroundings, a line or an area whole.
  function fitShape(map, b) {
    if (!b || !b.isValid()) { return; }
    if (b.getNorthEast().equals(b.getSouthWest())) { map.setView(b.getCenter(), 14); return; }
    map.fitBounds(b, { maxZoom: 16, padding: [12, 12] });
  }

  function legend(map, rows) {
    var Legend = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () {
      var box = L.DomUtil.create("div", "map-legend");
      rows.forEach(function (r) {
        var row = document.createElement("div");
        var sw = document.createElement("span");
        sw.className = "sw " + r[0];
        if (r[2]) { sw.style.background = r[2]; }
        row.appendChild(sw);
        row.appendChild(document.createTextNode(r[1]));
        box.appendChild(row);
      });
      return box;
    } });
    new Legend().addTo(map);
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // ---- geometry editing: the recorded shape editable in place, the toolbar draws a new one ----
  var SHAPE = { color: "#e67e22", weight: 5, fillColor: "#f5b041", fillOpacity: 0.3 };

  function editMap(node) {
    var out = document.getElementById("geometry");
    var map = newMap(node);
    basemap(map);
    var items = new L.FeatureGroup().addTo(map);
    function fit() { fitShape(map, items.getLayers().length ? items.getBounds() : null); }
    // Leaflet.draw edits single lines and areas only: a recorded multi-part shape of one part (the
    // reference divisions are MultiPolygons) is edited as that part and sent back as a multi-part.
    var multi = null;
    function sync() {
      var layers = items.getLayers();
      var geom = layers.length ? layers[layers.length - 1].toGeoJSON().geometry : null;
      if (geom && multi && geom.type === multi.slice(5)) { geom = { type: multi, coordinates: [geom.coordinates] }; }
      out.value = geom ? JSON.stringify(geom) : "";
      node.dataset.edited = String(Number(node.dataset.edited || 0) + 1);
    }
    // A point is dragged; a line's or an area's vertices are dragged, added (the middle squares)
    // or removed (a click on a vertex) with Leaflet.draw's vertex editing.
    function editable(layer) {
      if (layer instanceof L.Marker) {
        if (layer.dragging) { layer.dragging.enable(); }
        layer.on("dragend", sync);
      } else if (layer.editing && singlePart(layer)) {  // several parts: drawn anew with the toolbar
        layer.editing.enable();
        layer.on("edit", sync);
      }
    }
    function singlePart(layer) {
      var ll = layer.getLatLngs();
      return L.LineUtil.isFlat(layer instanceof L.Polygon ? ll[0] : ll);
    }
    if (node.dataset.geojson) {
      var recorded = JSON.parse(node.dataset.geojson);
      if (/^Multi(Polygon|LineString)$/.test(recorded.type) && recorded.coordinates.length === 1) {
        multi = recorded.type;
        recorded = { type: multi.slice(5), coordinates: recorded.coordinates[0] };
      }
      L.geoJSON(recorded, { style: SHAPE }).eachLayer(function (l) { items.addLayer(l); });
      fit();
    }
    if (L.Control.Draw) {
      items.eachLayer(editable);
      map.addControl(new L.Control.Draw({
        edit: false,
        draw: { circle: false, circlemarker: false, rectangle: false,
                polyline: { shapeOptions: SHAPE }, polygon: { shapeOptions: SHAPE } }
      }));
      map.on(L.Draw.Event.CREATED, function (e) {
        items.eachLayer(function (l) { if (l.editing && l.editing.enabled()) { l.editing.disable(); } });
        items.clearLayers();
        items.addLayer(e.layer);
        editable(e.layer);
        sync();
      });
    }
    // A map inside a closed <details> has no size until it opens.
    var box = node.closest("details");
    if (box) {
      box.addEventListener("toggle", function () {
        if (box.open) { map.invalidateSize(); fit(); }
      });
    }
    node.editMap = map;
  }

  // ---- point picker: a click, a drag or "use my location" fills the two fields ----------------
  function pointPicker(node) {
    var lon = document.getElementById(node.dataset.lon);
    var lat = document.getElementById(node.dataset.lat);
    if (!lon || !lat) { return; }
    var map = newMap(node);
    basemap(map);
    var marker = null;
    function put(ll, fill) {
      if (!marker) {
        marker = L.marker(ll, { draggable: true, keyboard: false }).addTo(map);
        marker.on("dragend", function () { put(marker.getLatLng(), true); });
      }
      marker.setLatLng(ll);
      if (fill) {
        lon.value = ll.lng.toFixed(6);
        lat.value = ll.lat.toFixed(6);
        node.dataset.picked = "1";
      }
    }
    function fromFields() {
      var x = parseFloat(lon.value);
      var y = parseFloat(lat.value);
      if (isFinite(x) && isFinite(y)) { put(L.latLng(y, x), false); return true; }
      return false;
    }
    var rec = document.getElementById("recorded");  // a marker's recorded position, for reference
    if (rec && rec.dataset.lon) {
      var rll = L.latLng(parseFloat(rec.dataset.lat), parseFloat(rec.dataset.lon));
      L.circleMarker(rll, { radius: 6, color: "#222", weight: 1, fillColor: "#c0392b", fillOpacity: 0.9 }).addTo(map);
      map.setView(rll, 17);
      if (rec.dataset.lines) {  // the marker's boundary line, under the dot
        features("boundary_lines", WUHAI, 16, "&code=" + rec.dataset.lines.split(",").map(encodeURIComponent).join(","))
          .then(function (fc) {
            L.geoJSON(fc, { style: { color: "#1f3a5f", weight: 4, opacity: 0.8 }, interactive: false }).addTo(map).bringToBack();
            node.dataset.lineDrawn = String(fc.features.length);
          }).catch(function () {});
      }
    }
    if (fromFields()) { map.setView(marker.getLatLng(), 16); }
    var box = node.closest("details");  // a picker in a closed <details> has no size until it opens
    if (box) {
      box.addEventListener("toggle", function () {
        if (!box.open) { return; }
        var centre = marker ? marker.getLatLng() : map.getCenter();
        map.invalidateSize();
        map.setView(centre, map.getZoom(), { animate: false });
      });
    }
    map.on("click", function (e) { put(e.latlng, true); });
    lon.addEventListener("change", fromFields);
    lat.addEventListener("change", fromFields);
    var here = document.getElementById(node.dataset.locate || "");
    var status = document.getElementById(node.dataset.status || "");
    if (here) {
      if (!navigator.geolocation) { here.hidden = true; return; }
      here.addEventListener("click", function () {
        if (status) { status.textContent = here.dataset.waiting || ""; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          put(ll, true);
          map.setView(ll, 17);
          if (status) { status.textContent = (here.dataset.accuracy || "±%s m").replace("%s", Math.round(pos.coords.accuracy)); }
        }, function () {
          if (status) { status.textContent = here.dataset.failed || ""; }
        }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
  }

  // ---- one feature, read-only ----------------------------------------------------------------
  function featureMap(node) {
    var map = newMap(node);
    basemap(map);
    if (!node.dataset.geojson) { return; }
    var shape = L.geoJSON(JSON.parse(node.dataset.geojson), {
      style: { color: "#e67e22", weight: 5, fillColor: "#f5b041", fillOpacity: 0.3 },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 8, color: "#e67e22", weight: 3, fillOpacity: 0.3 }); }
    }).addTo(map);
    fitShape(map, shape.getBounds());
  }

  // ---- boundary lines and markers ----------------------------------------------------------
  var MARKER_COLOURS = { intact: "#27ae60", rebuilt: "#27ae60", damaged: "#e67e22", moved: "#8e44ad", missing: "#c0392b", planned: "#7f8c8d" };

  function linesMap(node) {
    var map = newMap(node);
    basemap(map);
    var lines = L.featureGroup().addTo(map);
    var markers = L.layerGroup().addTo(map);
    features("boundary_lines", WUHAI, 12).then(function (fc) {
      L.geoJSON(fc, {
        style: { color: "#c0392b", weight: 4 },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(document.createTextNode(p.code + " " + (p.name || "") + " · " + (p.left_name || "") + " / " + (p.right_name || "")), { sticky: true });
        }
      }).addTo(lines);
      if (lines.getLayers().length) { map.fitBounds(lines.getBounds(), { padding: [10, 10] }); }
      node.dataset.lines = String(fc.features.length);
    }).catch(function () {});
    features("markers", WUHAI, 18).then(function (fc) {
      fc.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        var p = f.properties;
        var colour = MARKER_COLOURS[p.status] || "#7f8c8d";
        L.circleMarker([c[1], c[0]], { radius: 4, color: "#333", weight: 1, fillColor: colour, fillOpacity: 0.95 })
          .bindTooltip(document.createTextNode(p.number + " · " + (p.status || "")))
          .addTo(markers);
      });
      node.dataset.markers = String(fc.features.length);
    }).catch(function () {});
    legend(map, JSON.parse(node.dataset.legend || "[]"));
  }

  // ---- an inspection round: its line, markers coloured by displacement, shift vectors ----------
  function roundMap(node) {
    var data = readJSON("round-data");
    if (!data) { return; }
    var map = newMap(node);
    basemap(map);
    var group = L.featureGroup().addTo(map);
    data.markers.forEach(function (m) {
      var measured = m.displacement_m !== null && m.displacement_m !== undefined;
      var colour = !measured ? "#7f8c8d" : m.flagged ? "#c0392b" : "#27ae60";
      var label = m.number + " · " + (m.condition || "—") + (measured ? " · " + m.displacement_m + " m" : "");
      L.circleMarker([m.lat, m.lon], { radius: 6, color: "#222", weight: 1, fillColor: colour, fillOpacity: 0.95 })
        .bindTooltip(document.createTextNode(label)).addTo(group);
      if (m.measured_lon !== null && m.measured_lon !== undefined) {
        L.polyline([[m.lat, m.lon], [m.measured_lat, m.measured_lon]], { color: colour, weight: 3 }).addTo(group);
      }
    });
    var codes = data.sections.map(function (s) { return encodeURIComponent(s.code); }).join(",");
    features("boundary_lines", WUHAI, 16, "&code=" + codes).then(function (fc) {
      var line = L.geoJSON(fc, { style: { color: "#1f3a5f", weight: 4, opacity: 0.85 }, interactive: false }).addTo(map);
      line.bringToBack();
      var b = line.getBounds();
      if (group.getLayers().length) { b.extend(group.getBounds()); }
      if (b.isValid()) { map.fitBounds(b, { padding: [10, 10] }); }
      node.dataset.lineDrawn = String(fc.features.length);
    }).catch(function () {
      if (group.getLayers().length) { map.fitBounds(group.getBounds(), { padding: [10, 10] }); }
    });
    var rows = JSON.parse(node.dataset.legend || "[]");
    legend(map, rows);
  }

  // ---- sign audit findings: points coloured by kind, from the page's own data ---------------
  function auditMap(node) {
    var data = readJSON("audit-data");
    if (!data) { return; }
    var map = newMap(node);
    basemap(map);
    var all = L.featureGroup().addTo(map);
    var signUrl = node.dataset.signUrl || "";
    data.points.forEach(function (p) {  // [lon, lat, kind, sign id or null, text]
      var colour = (data.kinds[p[2]] || {}).colour || "#7f8c8d";
      var label = (data.kinds[p[2]] || {}).label || p[2];
      var mk = L.circleMarker([p[1], p[0]], { radius: 5, color: "#333", weight: 1, fillColor: colour, fillOpacity: 0.9 });
      mk.bindTooltip(document.createTextNode(label + (p[4] ? " · " + p[4] : "")));
      if (p[3] !== null && signUrl) {
        mk.on("click", function () { window.location.href = signUrl.replace(/0$/, String(p[3])); });
      }
      mk.addTo(all);
    });
    if (all.getLayers().length) { map.fitBounds(all.getBounds(), { padding: [10, 10], maxZoom: 16 }); }
    legend(map, Object.keys(data.kinds).map(function (k) {
      return ["dot", data.kinds[k].label + " (" + data.kinds[k].count + ")", data.kinds[k].colour];
    }));
    node.dataset.findings = String(data.points.length);
  }

  var node = document.getElementById("editmap");
  if (node) { editMap(node); }
  document.querySelectorAll(".pointpicker").forEach(pointPicker);
  document.querySelectorAll(".featuremap").forEach(featureMap);
  node = document.getElementById("linesmap");
  if (node) { linesMap(node); }
  node = document.getElementById("roundmap");
  if (node) { roundMap(node); }
  node = document.getElementById("auditmap");
  if (node) { auditMap(node); }
})();
