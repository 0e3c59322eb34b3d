// The navigation's menu (a <details> disclosure, usable without this script): Esc or a click
// anywhere else closes it, and Esc gives the focus back to its button.
(function () {
  "use strict";

  function menu() { return document.getElementById("nav-menu"); }

  document.addEventListener("click", function (event) {
    var open = menu();
    if (open && open.open && !open.contains(event.target)) open.open = false;
  });

  document.addEventListener("keydown", function (event) {
    var open = menu();
    if (event.key !== "Escape" || event.defaultPrevented || !open || !open.open) return;
    open.open = false;
    open.querySelector("summary").focus();
    event.stopPropagation();
  }, true);
})();
