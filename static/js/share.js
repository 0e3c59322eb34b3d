// A share link's page: its photo viewer works without this script (each photo is a section
// shown by :target, with Previous, Close and Next links). Here the keys a viewer is expected
// to know: Esc closes it (back to the photo in the grid, which takes the focus), the arrow
// keys step to the previous or next photo. Each follows the link a click would.
(function () {
  "use strict";

  var KEYS = { Escape: "close", ArrowLeft: "prev", ArrowRight: "next" };

  function openView() {
    var id = window.location.hash.slice(1);
    var view = id && document.getElementById(id);
    return view && view.classList.contains("share-view") ? view : null;
  }

  document.addEventListener("keydown", function (event) {
    var step = KEYS[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var view = openView();
    var link = view && view.querySelector("[data-step='" + step + "']");
    if (!link) return;
    event.preventDefault();
    link.click();
    if (step === "close") {
      var back = document.querySelector(link.getAttribute("href") + " a");
      if (back) back.focus();
    } else {
      var shown = openView();
      if (shown) shown.focus();
    }
  });
})();
