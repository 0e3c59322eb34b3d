// The map page: the signed-in person's own photos that have a location, as thumbnails on tiles
// from the archive's tile server (PHOTOARCHIVE_MAP_TILES), gathered into clusters where they
// crowd; choosing one opens the photo.
(function () {
  "use strict";

  function escaped(text) {
    var node = document.createElement("span");
    node.textContent = text;
    return node.innerHTML;
  }

  function credit(box) {
    var text = box.dataset.credit;
    if (!text) return "";
    var href = box.dataset.creditHref;
    return href ? '<a href="' + escaped(href) + '">' + escaped(text) + "</a>" : escaped(text);
  }

  function marker(item) {
    var icon = L.icon({ iconUrl: item.thumbnail, iconSize: [48, 48], className: "map-thumb" });
    var pin = L.marker([item.lat, item.lon], { icon: icon, alt: "Photo " + item.id, title: "Open photo " + item.id });
    pin.on("click", function () { window.location.assign("/photos/" + item.id); });
    return pin;
  }

  function draw(box, items) {
    var map = L.map(box, { worldCopyJump: true });
    L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: credit(box) }).addTo(map);
    if (!items.length) {
      map.setView([20, 0], 2);
      document.getElementById("map-empty").hidden = false;
      return;
    }
    var group = L.markerClusterGroup({ showCoverageOnHover: false });
    items.forEach(function (item) { group.addLayer(marker(item)); });
    map.addLayer(group);
    map.fitBounds(group.getBounds(), { padding: [32, 32], maxZoom: 14 });
  }

  function start() {
    var box = document.getElementById("map");
    if (!box || typeof L === "undefined") return;
    fetch(box.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("map: " + response.status);
        return response.json();
      })
      .then(function (body) { draw(box, body.items); })
      .catch(function () {
        var empty = document.getElementById("map-empty");
        empty.textContent = "The map could not be loaded; try again later.";
        empty.hidden = false;
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
