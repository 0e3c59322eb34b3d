// The timeline's list of years and months (templates/timeline.html) follows the scroll: the
// month whose heading was passed last is the one marked aria-current, months scrolled in by
// htmx included. Without this file the month the page started at stays marked.
(function () {
  "use strict";

  var nav = document.querySelector(".timeline-scrubber");
  if (!nav || !window.requestAnimationFrame) return;
  var pending = false;

  function mark(month) {
    var link = nav.querySelector("a[data-month='" + month + "']");
    if (!link || link.getAttribute("aria-current") === "true") return;
    Array.prototype.forEach.call(nav.querySelectorAll("a[aria-current]"), function (a) {
      a.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
  }

  function follow() {
    pending = false;
    var line = window.innerHeight / 3;
    // At the very end of the page the last months cannot reach the line: the lowest in view.
    var end = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
    var heads = document.querySelectorAll(".grid-month[data-month]");
    var passed = heads[0] || null; // above every heading: the page's first month
    Array.prototype.forEach.call(heads, function (head) {
      var top = head.getBoundingClientRect().top;
      if (top <= line || (end && top < window.innerHeight)) passed = head;
    });
    if (passed) mark(passed.getAttribute("data-month"));
  }

  window.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(follow);
  }, { passive: true });
})();
