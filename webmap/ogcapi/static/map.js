// A small Leaflet map for the OGC API's HTML pages: the features in data-geojson, or the
// extent in data-bbox, over the district outlines.
(function () {
  "use strict";
  var el = document.getElementById("ogcmap");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el, { scrollWheelZoom: false }).setView([39.66, 106.82], 10);
  fetch("/api/features/divisions?bbox=106.2,39.0,107.4,40.1&zoom=10&level=district")
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      L.geoJSON(fc, { style: { color: "#998", weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
    })
    .catch(function () {});
  var shown = null;
  if (el.dataset.geojson) {
    shown = L.geoJSON(JSON.parse(el.dataset.geojson), {
      style: { color: "#c0392b", weight: 2, fillOpacity: 0.15 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#c0392b", weight: 1, fillOpacity: 0.7 });
      },
      onEachFeature: function (f, layer) {
        if (f.id !== undefined && el.dataset.itemUrl) {
          var a = document.createElement("a");
          a.href = el.dataset.itemUrl.replace("__id__", encodeURIComponent(f.id));
          a.textContent = (f.properties && (f.properties.name || f.properties.code || f.properties.text_zh)) || String(f.id);
          layer.bindPopup(a);
        }
      }
    }).addTo(map);
  } else if (el.dataset.bbox) {
    var b = el.dataset.bbox.split(",").map(Number);
    shown = L.rectangle([[b[1], b[0]], [b[3], b[2]]], { color: "#c0392b", weight: 2, fillOpacity: 0.05 }).addTo(map);
  }
  if (shown) {
    var bounds = shown.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { maxZoom: 16, padding: [10, 10] }); }
  }
})();
