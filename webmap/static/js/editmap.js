// Geometry editing with Leaflet.draw (served locally); writes GeoJSON into #geometry.
(function () {
  "use strict";
  var el = document.getElementById("editmap");
  if (!el) { return; }
  var out = document.getElementById("geometry");
  var map = L.map(el).setView([39.66, 106.82], 11);
  var base = L.layerGroup().addTo(map);
  fetch("/api/features/divisions?bbox=106.2,39.0,107.4,40.1&zoom=10&level=district")
    .then(function (r) { return r.json(); })
    .then(function (fc) { L.geoJSON(fc, { style: { color: "#998", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(base); })
    .catch(function () {});
  var items = new L.FeatureGroup().addTo(map);
  if (el.dataset.geojson) {
    L.geoJSON(JSON.parse(el.dataset.geojson)).eachLayer(function (l) { items.addLayer(l); });
    if (items.getLayers().length) {
      var b = items.getBounds();
      if (b.isValid()) { map.fitBounds(b, { maxZoom: 16 }); }
    }
  }
  map.addControl(new L.Control.Draw({
    edit: { featureGroup: items },
    draw: { circle: false, circlemarker: false, rectangle: false }
  }));
  function sync() {
    var layers = items.getLayers();
    out.value = layers.length ? JSON.stringify(layers[layers.length - 1].toGeoJSON().geometry) : "";
  }
  map.on(L.Draw.Event.CREATED, function (e) { items.clearLayers(); items.addLayer(e.layer); sync(); });
  map.on(L.Draw.Event.EDITED, sync);
  map.on(L.Draw.Event.DELETED, sync);
})();
