// Progressive enhancement for every page. No inline scripts: the CSP can forbid them.
(function () {
  "use strict";

  // Show each photo's tiny placeholder until the rendition has loaded.
  function placeholders(root) {
    root.querySelectorAll("img[data-placeholder]").forEach(function (img) {
      var data = img.getAttribute("data-placeholder");
      if (!data || img.complete) return;
      img.style.backgroundImage = "url(" + JSON.stringify(data) + ")";
      img.addEventListener("load", function () { img.style.backgroundImage = ""; }, { once: true });
    });
  }

  // The photo modal on profile pages: Esc, the close button and the back button close it.
  var returnFocus = null;
  function modal() { return document.querySelector("#modal [data-modal]"); }
  function closeModal(viaHistory) {
    var m = modal();
    if (!m) return;
    document.getElementById("modal").innerHTML = "";
    document.body.classList.remove("modal-open");
    if (!viaHistory) history.back();
    if (returnFocus) { returnFocus.focus(); returnFocus = null; }
  }
  function focusables(el) {
    return Array.prototype.filter.call(
      el.querySelectorAll("a[href], button, input, textarea, select, summary, [tabindex]:not([tabindex='-1'])"),
      function (n) { return !n.disabled && n.offsetParent !== null; });
  }
  document.addEventListener("keydown", function (event) {
    var m = modal();
    if (!m) return;
    if (event.key === "Escape") { event.preventDefault(); closeModal(false); return; }
    if (event.key === "Tab") {
      var items = focusables(m);
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-modal]")) { event.preventDefault(); closeModal(false); }
    var opener = event.target.closest("[hx-target='#modal']");
    if (opener) returnFocus = opener;
  });
  window.addEventListener("popstate", function () { if (modal()) closeModal(true); });

  // Delete forms without htmx still ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.htmx && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { placeholders(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    placeholders(event.target);
    if (event.target.id === "modal") {
      var m = modal();
      if (m) {
        document.body.classList.add("modal-open");
        var close = m.querySelector(".modal-close");
        if (close) close.focus();
      }
    }
  });
})();
